using System.Text.Json;
using LlmGateway.Api.Spend;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace LlmGateway.Tests.Spend;

/// <summary>
/// The ledger's insert before binary COPY (commit fc352e5), kept only as the baseline of <see cref="LedgerWriteCost"/>.
/// Writes usage events to <c>spend_logs</c> in one round trip: a single statement that inserts the batch
/// (<c>unnest</c> of one array per column, <c>ON CONFLICT DO NOTHING</c>, so a replayed event is a no-op) and, in the
/// same implicit transaction, adds the spend of the rows it actually inserted to <c>virtual_keys.spend</c> and <c>teams.spend</c>.
/// </summary>
internal sealed class UnnestLedgerStore(IServiceScopeFactory scopes, Microsoft.Extensions.Logging.ILogger logger)
{
    /// <summary>Inserts the batch; returns how many rows were new and the events Postgres refused. Throws when Postgres does not answer.</summary>
    public async Task<LedgerWrite> InsertAsync(IReadOnlyList<UsageEvent> batch, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return new LedgerWrite(0, []);
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await connection.OpenAsync(cts.Token);
        try
        {
            return new LedgerWrite(await ExecuteAsync(connection, batch, timeout, cts.Token), []);
        }
        catch (PostgresException ex) when (IsBadData(ex) && batch.Count > 1)
        {
            // One malformed event must not block the batch: write them one by one and set the bad ones aside.
            logger.LogWarning("A usage batch was refused ({SqlState}); writing its {Count} events one by one", ex.SqlState, batch.Count);
            var inserted = 0;
            var rejected = new List<UsageEvent>();
            foreach (var usage in batch)
            {
                try
                {
                    inserted += await ExecuteAsync(connection, [usage], timeout, cts.Token);
                }
                catch (PostgresException rowError) when (IsBadData(rowError))
                {
                    logger.LogError("Usage event {RequestId} was refused by Postgres ({SqlState}); set aside", usage.RequestId, rowError.SqlState);
                    rejected.Add(usage);
                }
            }

            return new LedgerWrite(inserted, rejected);
        }
    }

    private static bool IsBadData(PostgresException ex) => ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState.StartsWith("23", StringComparison.Ordinal);

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, IReadOnlyList<UsageEvent> batch, TimeSpan timeout, CancellationToken ct)
    {
        var rows = batch.DistinctBy(u => (u.RequestId, u.StartTime.UtcTicks)).ToArray();
        await using var command = new NpgsqlCommand(InsertSql, connection) { CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)) };
        var p = command.Parameters;
        p.Add(Array("request_id", rows, u => Clean(u.RequestId, 64)));
        p.Add(Times("start_time", rows, u => u.StartTime));
        p.Add(Times("end_time", rows, u => u.EndTime));
        p.Add(Array("call_type", rows, u => Clean(u.CallType, 32)));
        p.Add(Array("api_key", rows, u => Clean(u.ApiKeyHash, 64)));
        p.Add(Array("key_alias", rows, u => Clean(u.KeyAlias, 256)));
        p.Add(Array("team_id", rows, u => Clean(u.TeamId, 128)));
        p.Add(Array("user", rows, u => Clean(u.User, 1024)));
        p.Add(Array("end_user", rows, u => Clean(u.EndUser, 1024)));
        p.Add(Jsonb("request_tags", rows.Select(u => JsonSerializer.Serialize(
            u.Tags.Select(t => Clean(t, 256)!).ToArray(), UsageJsonContext.Default.IReadOnlyListString))));
        p.Add(Array("model_group", rows, u => Clean(u.ModelGroup, 512)));
        p.Add(Array("model", rows, u => Clean(u.Model, 512)));
        p.Add(Array("provider", rows, u => Clean(u.Provider, 128)));
        p.Add(Array("api_base", rows, u => Clean(u.ApiBase, 2048)));
        p.Add(Array("deployment_id", rows, u => Clean(u.DeploymentId, 256)));
        p.Add(new NpgsqlParameter<int[]>("attempts", rows.Select(u => u.Attempts).ToArray()));
        p.Add(new NpgsqlParameter<int[]>("status_code", rows.Select(u => u.StatusCode).ToArray()));
        p.Add(Array("status", rows, u => Clean(u.Status, 64) ?? "unknown"));
        p.Add(new NpgsqlParameter<decimal[]>("spend", rows.Select(u => u.Spend).ToArray()));
        p.Add(new NpgsqlParameter<decimal[]>("saved_cost", rows.Select(u => u.SavedCost).ToArray()));
        p.Add(new NpgsqlParameter<bool[]>("price_unknown", rows.Select(u => u.PriceUnknown).ToArray()));
        p.Add(new NpgsqlParameter<long[]>("prompt_tokens", rows.Select(u => u.PromptTokens).ToArray()));
        p.Add(new NpgsqlParameter<long[]>("completion_tokens", rows.Select(u => u.CompletionTokens).ToArray()));
        p.Add(new NpgsqlParameter<long[]>("cached_tokens", rows.Select(u => u.CachedTokens).ToArray()));
        p.Add(new NpgsqlParameter<long[]>("cache_creation_input_tokens", rows.Select(u => u.CacheWriteTokens).ToArray()));
        p.Add(new NpgsqlParameter<long[]>("cache_creation_1h_input_tokens", rows.Select(u => u.CacheWrite1hTokens).ToArray()));
        p.Add(new NpgsqlParameter<long[]>("reasoning_tokens", rows.Select(u => u.ReasoningTokens).ToArray()));
        p.Add(new NpgsqlParameter<bool[]>("stream", rows.Select(u => u.Stream).ToArray()));
        p.Add(new NpgsqlParameter<bool[]>("cache_hit", rows.Select(u => u.CacheHit).ToArray()));
        p.Add(new NpgsqlParameter<bool[]>("is_health_check", rows.Select(u => u.IsHealthCheck).ToArray()));
        p.Add(Doubles("auth_ms", rows, u => u.AuthMs));
        p.Add(Doubles("limits_ms", rows, u => u.LimitsMs));
        p.Add(Doubles("cache_ms", rows, u => u.CacheMs));
        p.Add(Doubles("upstream_ttfb_ms", rows, u => u.UpstreamTtfbMs));
        p.Add(Doubles("upstream_ms", rows, u => u.UpstreamMs));
        p.Add(Doubles("overhead_ms", rows, u => u.OverheadMs));
        p.Add(Doubles("total_ms", rows, u => u.TotalMs));
        p.Add(Jsonb("metadata", rows.Select(u => CleanJsonObject(u.Metadata))));
        var inserted = await command.ExecuteScalarAsync(ct);
        return Convert.ToInt32(inserted, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static NpgsqlParameter Array(string name, UsageEvent[] rows, Func<UsageEvent, string?> value) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = rows.Select(value).ToArray() };

    private static NpgsqlParameter Jsonb(string name, IEnumerable<string> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { Value = values.ToArray() };

    private static NpgsqlParameter Doubles(string name, UsageEvent[] rows, Func<UsageEvent, double?> value) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Double)
        {
            Value = rows.Select(u => value(u) is { } d && double.IsFinite(d) ? d : (double?)null).ToArray(),
        };

    private static NpgsqlParameter Times(string name, UsageEvent[] rows, Func<UsageEvent, DateTimeOffset> value) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = rows.Select(u => value(u).UtcDateTime).ToArray() };

    private static string? Clean(string? value, int maxLength) => LedgerStaging.Clean(value, maxLength);

    private static string CleanJsonObject(string? json) => LedgerStaging.CleanJsonObject(json);

    private const string InsertSql = $"""
        WITH input AS (
            SELECT * FROM unnest(
                @request_id, @start_time, @end_time, @call_type, @api_key, @key_alias, @team_id, @user, @end_user,
                @request_tags, @model_group, @model, @provider, @api_base, @deployment_id, @attempts, @status_code,
                @status, @spend, @saved_cost, @price_unknown, @prompt_tokens, @completion_tokens, @cached_tokens,
                @cache_creation_input_tokens, @cache_creation_1h_input_tokens, @reasoning_tokens, @stream, @cache_hit,
                @is_health_check, @auth_ms, @limits_ms, @cache_ms, @upstream_ttfb_ms, @upstream_ms, @overhead_ms, @total_ms, @metadata)
            AS u(request_id, start_time, end_time, call_type, api_key, key_alias, team_id, "user", end_user,
                request_tags, model_group, model, provider, api_base, deployment_id, attempts, status_code,
                status, spend, saved_cost, price_unknown, prompt_tokens, completion_tokens, cached_tokens,
                cache_creation_input_tokens, cache_creation_1h_input_tokens, reasoning_tokens, stream, cache_hit,
                is_health_check, auth_ms, limits_ms, cache_ms, upstream_ttfb_ms, upstream_ms, overhead_ms, total_ms, metadata)
        ), inserted AS (
            INSERT INTO spend_logs (request_id, start_time, end_time, call_type, api_key, key_alias, team_id, "user", end_user,
                request_tags, model_group, model, provider, api_base, deployment_id, attempts, status_code,
                status, spend, saved_cost, price_unknown, prompt_tokens, completion_tokens, cached_tokens,
                cache_creation_input_tokens, cache_creation_1h_input_tokens, reasoning_tokens, total_tokens, stream,
                cache_hit, is_health_check, auth_ms, limits_ms, cache_ms, upstream_ttfb_ms, upstream_ms, overhead_ms, total_ms, metadata)
            SELECT request_id, start_time, end_time, call_type, api_key, key_alias, team_id, "user", end_user,
                ARRAY(SELECT jsonb_array_elements_text(request_tags)), model_group, model, provider, api_base,
                deployment_id, attempts, status_code, status, spend, saved_cost, price_unknown, prompt_tokens,
                completion_tokens, cached_tokens, cache_creation_input_tokens, cache_creation_1h_input_tokens,
                reasoning_tokens, prompt_tokens + completion_tokens, stream,
                cache_hit, is_health_check, auth_ms, limits_ms, cache_ms, upstream_ttfb_ms, upstream_ms,
                overhead_ms, total_ms, metadata
            FROM input
            ON CONFLICT (request_id, start_time) DO NOTHING
            RETURNING api_key, team_id, spend, end_time
        ){LedgerStaging.RollUpSql}
        """;
}

