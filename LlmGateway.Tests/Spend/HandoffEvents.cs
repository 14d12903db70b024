using LlmGateway.Api.Spend;
using Npgsql;

namespace LlmGateway.Tests.Spend;

/// <summary>Usage events that exercise every ledger column and every cleaning rule, and the whole ledger read back as text.</summary>
internal static class HandoffEvents
{
    public const string Team = "team-handoff";
    public static readonly string Key = SpendTestData.HashOf("sk-handoff");

    /// <summary>Six events whose request ids start with <paramref name="prefix"/>.</summary>
    public static List<UsageEvent> Tricky(string prefix)
    {
        var start = new DateTimeOffset(2026, 12, 6, 9, 30, 0, TimeSpan.FromHours(5.5)).AddTicks(1_234_567);
        var plain = SpendTestData.Usage($"{prefix}-plain", Team, Key, spend: 0.00042m, start: start);
        return
        [
            plain,
            plain with
            {
                RequestId = $"{prefix}-every-field", KeyAlias = "alias", User = "user-1", EndUser = "end-1", Tags = ["a", "b"],
                ApiBase = "https://api.example.com", DeploymentId = "dep-1", Attempts = 3, StatusCode = 429, Status = "upstream_rate_limited",
                Spend = 0.1234567890123456789m, SavedCost = 0.5m, PriceUnknown = true, PromptTokens = 1_000_000_000_001, CompletionTokens = 7,
                CachedTokens = 3, CacheWriteTokens = 11, CacheWrite1hTokens = 5, ReasoningTokens = 2, Stream = true, CacheHit = true,
                IsHealthCheck = true, AuthMs = 0.1 + 0.2, LimitsMs = 1e-7, CacheMs = 123456.789, UpstreamTtfbMs = 0, UpstreamMs = 2.5,
                OverheadMs = 1.0 / 3, TotalMs = double.MaxValue, EndTime = start.AddDays(1).AddTicks(9),
                Metadata = """{"client_request_id":"x-1","nested":{"a":[1,2.50,{"b":null}]},"u":"é😀"}""",
            },
            plain with
            {
                RequestId = $"{prefix}-dirty", User = "user\0with-nul", EndUser = "end\uD800user", KeyAlias = new string('k', 300),
                Tags = ["lone\uDC00low", new string('t', 255) + "😀", "nul\0tag"], Model = "model-😀-" + new string('m', 600),
                Metadata = "{\"lone\":\"\uD800\"}",
            },
            plain with { RequestId = $"{prefix}-not-an-object", Metadata = "[not an object", Tags = [] },
            plain with { RequestId = $"{prefix}-nul-escape", Metadata = """{"a":"\u0000"}""", Spend = 0m },
            plain with
            {
                RequestId = $"{prefix}-master", ApiKeyHash = null, TeamId = null, KeyAlias = null, Model = null, Provider = null,
                ModelGroup = null, AuthMs = null, TotalMs = null, Status = "invalid_request", StatusCode = 400, Metadata = "{}",
            },
        ];
    }

    /// <summary>Every ledger row as JSON (every column), then the spend rolled up into keys and teams.</summary>
    public static async Task<List<string>> LedgerAsync(string connectionString)
    {
        var lines = new List<string>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        foreach (var sql in new[]
        {
            "SELECT row_to_json(s)::text FROM spend_logs s ORDER BY request_id, start_time",
            "SELECT concat_ws('|', 'key', token, spend, last_used_at) FROM virtual_keys ORDER BY token",
            "SELECT concat_ws('|', 'team', team_id, spend) FROM teams ORDER BY team_id",
        })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }
        }

        return lines;
    }
}
