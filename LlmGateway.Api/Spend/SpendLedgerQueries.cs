using System.Text.Json;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LlmGateway.Api.Spend;

/// <summary>The admin's reads of the ledger. EF LINQ where it can say it; otherwise constant SQL with parameters.</summary>
public static class SpendLedgerQueries
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    /// <summary>
    /// What <c>group_by</c> may be, each mapped to a constant SQL expression (never user text). <c>end_user</c> is who the
    /// request was for (per developer for Claude Code), <c>customer</c> LiteLLM's name for it; <c>user</c> is the key's owner.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> GroupExpressions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["team"] = "coalesce(team_id, '')",
        ["key"] = "coalesce(api_key, '')",
        ["model"] = "coalesce(model_group, model, '')",
        ["tag"] = "tag",
        ["day"] = "to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        ["end_user"] = "coalesce(end_user, '')",
        ["customer"] = "coalesce(end_user, '')",
        ["user"] = "coalesce(\"user\", '')",
    };

    public static async Task<List<SpendLogRow>> LogsAsync(GatewayDbContext db, SpendFilter filter, int limit, CancellationToken ct)
    {
        var query = db.SpendLogs.AsNoTracking();
        if (filter.RequestId is { } requestId) query = query.Where(s => s.RequestId == requestId);
        if (filter.ApiKeyHash is { } apiKey) query = query.Where(s => s.ApiKey == apiKey);
        if (filter.TeamId is { } teamId) query = query.Where(s => s.TeamId == teamId);
        if (filter.Model is { } model) query = query.Where(s => s.ModelGroup == model || s.Model == model);
        if (filter.Status is { } status) query = query.Where(s => s.Status == status);
        if (filter.Start is { } start) query = query.Where(s => s.StartTime >= start);
        if (filter.End is { } end) query = query.Where(s => s.StartTime < end);
        var rows = await query.OrderByDescending(s => s.StartTime).ThenBy(s => s.RequestId).Take(limit).ToListAsync(ct);
        return rows.ConvertAll(ToRow);
    }

    public static async Task<List<SpendDay>> DailyAsync(GatewayDbContext db, SpendFilter filter, CancellationToken ct)
    {
        var sql = $"""
            SELECT to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD'), coalesce(model_group, model, ''), coalesce(api_key, ''),
                sum(spend), count(*), sum(prompt_tokens), sum(completion_tokens)
            FROM spend_logs WHERE {SpendFilter.WhereSql}
            GROUP BY 1, 2, 3 ORDER BY 1
            """;
        var days = new SortedDictionary<string, (decimal Spend, long Requests, long Prompt, long Completion, Dictionary<string, decimal> Models, Dictionary<string, decimal> Keys)>(StringComparer.Ordinal);
        await using var reader = await ReadAsync(db, sql, filter, ct);
        while (await reader.ReadAsync(ct))
        {
            var day = reader.GetString(0);
            if (!days.TryGetValue(day, out var totals))
            {
                totals = (0m, 0, 0, 0, new Dictionary<string, decimal>(), new Dictionary<string, decimal>());
            }

            var spend = reader.GetDecimal(3);
            totals.Models[reader.GetString(1)] = totals.Models.GetValueOrDefault(reader.GetString(1)) + spend;
            totals.Keys[reader.GetString(2)] = totals.Keys.GetValueOrDefault(reader.GetString(2)) + spend;
            days[day] = (totals.Spend + spend, totals.Requests + reader.GetInt64(4), totals.Prompt + reader.GetInt64(5),
                totals.Completion + reader.GetInt64(6), totals.Models, totals.Keys);
        }

        return days.Select(d => new SpendDay(d.Key, d.Value.Spend, d.Value.Requests, d.Value.Prompt, d.Value.Completion, d.Value.Models, d.Value.Keys)).ToList();
    }

    public static async Task<List<SpendSummaryRow>> SummaryAsync(GatewayDbContext db, SpendFilter filter, string groupBy, CancellationToken ct)
    {
        var expression = GroupExpressions[groupBy];
        var tags = groupBy.Equals("tag", StringComparison.OrdinalIgnoreCase) ? "CROSS JOIN LATERAL unnest(request_tags) AS tag" : "";
        var sql = $"""
            SELECT {expression}, sum(spend), count(*), count(*) FILTER (WHERE status <> 'success'),
                sum(prompt_tokens), sum(completion_tokens),
                percentile_cont(0.5) WITHIN GROUP (ORDER BY total_ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY total_ms)
            FROM spend_logs {tags} WHERE {SpendFilter.WhereSql}
            GROUP BY 1 ORDER BY 2 DESC, 1
            """;
        var rows = new List<SpendSummaryRow>();
        await using var reader = await ReadAsync(db, sql, filter, ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new SpendSummaryRow(reader.GetString(0), reader.GetDecimal(1), reader.GetInt64(2), reader.GetInt64(3),
                reader.GetInt64(4), reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetDouble(6), reader.IsDBNull(7) ? null : reader.GetDouble(7)));
        }

        return rows;
    }

    public static async Task<GlobalSpend> GlobalAsync(GatewayDbContext db, CancellationToken ct)
    {
        var spend = await db.SpendLogs.SumAsync(s => s.Spend, ct);
        var budgets = await db.Teams.Where(t => t.MaxBudget != null).Select(t => t.MaxBudget!.Value).ToListAsync(ct);
        return new GlobalSpend(spend, budgets.Count == 0 ? null : budgets.Sum());
    }

    private static async Task<NpgsqlDataReader> ReadAsync(GatewayDbContext db, string sql, SpendFilter filter, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        var command = new NpgsqlCommand(sql, connection);
        filter.AddParameters(command);
        return await command.ExecuteReaderAsync(System.Data.CommandBehavior.Default, ct);
    }

    private static SpendLogRow ToRow(SpendLog s) => new(
        s.RequestId, s.CallType, s.ApiKey, s.TeamId, s.User, s.EndUser, s.RequestTags, s.ModelGroup, s.Model, s.ApiBase,
        s.Spend, s.PromptTokens, s.CompletionTokens, s.TotalTokens, s.StartTime, s.EndTime, s.CacheHit, s.Status,
        ParseMetadata(s.Metadata), s.KeyAlias, s.Provider, s.DeploymentId, s.Attempts, s.StatusCode, s.CachedTokens,
        s.ReasoningTokens, s.AuthMs, s.LimitsMs, s.CacheMs, s.UpstreamTtfbMs, s.UpstreamMs, s.OverheadMs, s.TotalMs,
        s.PriceUnknown, s.SavedCost, s.CachedTokens, s.CacheCreationInputTokens, s.CacheCreation1hInputTokens);

    private static JsonElement ParseMetadata(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrEmpty(json) ? "{}" : json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonDocument.Parse("{}").RootElement.Clone();
        }
    }
}
