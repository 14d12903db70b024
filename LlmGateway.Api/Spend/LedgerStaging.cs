using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace LlmGateway.Api.Spend;

/// <summary>
/// One batch of the ledger, written in one transaction: binary <c>COPY</c> into the connection's temporary staging table
/// <c>spend_logs_stage</c> (<c>ON COMMIT DELETE ROWS</c>, so it is empty again after every commit or rollback), then one
/// statement that moves the staged rows into <c>spend_logs</c> in key order (<c>ON CONFLICT DO NOTHING</c>: a replayed
/// event is a no-op) and adds the spend of the rows it actually inserted to <c>virtual_keys</c> and <c>teams</c>.
/// </summary>
internal static class LedgerStaging
{
    /// <summary>Creates the staging table; run once per physical connection (it lives as long as the session).</summary>
    public const string CreateSql = """
        CREATE TEMP TABLE IF NOT EXISTS spend_logs_stage (
            request_id text, start_time timestamptz, end_time timestamptz, call_type text, api_key text, key_alias text,
            team_id text, "user" text, end_user text, request_tags text[], model_group text, model text, provider text,
            api_base text, deployment_id text, attempts integer, status_code integer, status text, spend numeric,
            saved_cost numeric, price_unknown boolean, prompt_tokens bigint, completion_tokens bigint, cached_tokens bigint,
            cache_creation_input_tokens bigint, cache_creation_1h_input_tokens bigint, reasoning_tokens bigint,
            stream boolean, cache_hit boolean, is_health_check boolean, auth_ms double precision, limits_ms double precision,
            cache_ms double precision, upstream_ttfb_ms double precision, upstream_ms double precision,
            overhead_ms double precision, total_ms double precision, metadata jsonb
        ) ON COMMIT DELETE ROWS
        """;

    private const string Columns = """
        request_id, start_time, end_time, call_type, api_key, key_alias, team_id, "user", end_user, request_tags, model_group,
        model, provider, api_base, deployment_id, attempts, status_code, status, spend, saved_cost, price_unknown,
        prompt_tokens, completion_tokens, cached_tokens, cache_creation_input_tokens, cache_creation_1h_input_tokens,
        reasoning_tokens, stream, cache_hit, is_health_check, auth_ms, limits_ms, cache_ms, upstream_ttfb_ms, upstream_ms,
        overhead_ms, total_ms, metadata
        """;

    /// <summary>Writes the batch and commits; returns how many rows were new. Bad data throws a PostgresException (22xxx/23xxx) and rolls back.</summary>
    public static async Task<int> WriteAsync(NpgsqlConnection connection, IReadOnlyList<UsageEvent> batch, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            // Nearly every batch is new rows: a plain insert spares Postgres the speculative check ON CONFLICT makes per row
            // (~19% of its CPU for the ledger). A row already there (a replay) aborts it; the batch is written again with it.
            return await WriteOnceAsync(connection, batch, timeout, NewRowsSql, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return await WriteOnceAsync(connection, batch, timeout, MoveSql, ct);
        }
    }

    private static async Task<int> WriteOnceAsync(
        NpgsqlConnection connection, IReadOnlyList<UsageEvent> batch, TimeSpan timeout, string moveSql, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var importer = await connection.BeginBinaryImportAsync($"COPY pg_temp.spend_logs_stage ({Columns}) FROM STDIN (FORMAT BINARY)", ct))
        {
            importer.Timeout = timeout;
            foreach (var usage in batch.DistinctBy(u => (u.RequestId, u.StartTime.UtcTicks)))
            {
                await importer.StartRowAsync(ct);
                await WriteRowAsync(importer, usage, ct);
            }

            await importer.CompleteAsync(ct);
        }

        await using var command = new NpgsqlCommand(moveSql, connection, transaction)
        {
            CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
        };
        var inserted = Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        await transaction.CommitAsync(ct);
        return inserted;
    }

    private static async Task WriteRowAsync(NpgsqlBinaryImporter row, UsageEvent u, CancellationToken ct)
    {
        await Text(row, Clean(u.RequestId, 64), ct);
        await row.WriteAsync(u.StartTime.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
        await row.WriteAsync(u.EndTime.UtcDateTime, NpgsqlDbType.TimestampTz, ct);
        await Text(row, Clean(u.CallType, 32), ct);
        await Text(row, Clean(u.ApiKeyHash, 64), ct);
        await Text(row, Clean(u.KeyAlias, 256), ct);
        await Text(row, Clean(u.TeamId, 128), ct);
        await Text(row, Clean(u.User, 1024), ct);
        await Text(row, Clean(u.EndUser, 1024), ct);
        await row.WriteAsync((u.Tags ?? []).Select(t => Clean(t, 256)!).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
        await Text(row, Clean(u.ModelGroup, 512), ct);
        await Text(row, Clean(u.Model, 512), ct);
        await Text(row, Clean(u.Provider, 128), ct);
        await Text(row, Clean(u.ApiBase, 2048), ct);
        await Text(row, Clean(u.DeploymentId, 256), ct);
        await row.WriteAsync(u.Attempts, NpgsqlDbType.Integer, ct);
        await row.WriteAsync(u.StatusCode, NpgsqlDbType.Integer, ct);
        await Text(row, Clean(u.Status, 64) ?? "unknown", ct);
        await row.WriteAsync(u.Spend, NpgsqlDbType.Numeric, ct);
        await row.WriteAsync(u.SavedCost, NpgsqlDbType.Numeric, ct);
        await row.WriteAsync(u.PriceUnknown, NpgsqlDbType.Boolean, ct);
        await row.WriteAsync(u.PromptTokens, NpgsqlDbType.Bigint, ct);
        await row.WriteAsync(u.CompletionTokens, NpgsqlDbType.Bigint, ct);
        await row.WriteAsync(u.CachedTokens, NpgsqlDbType.Bigint, ct);
        await row.WriteAsync(u.CacheWriteTokens, NpgsqlDbType.Bigint, ct);
        await row.WriteAsync(u.CacheWrite1hTokens, NpgsqlDbType.Bigint, ct);
        await row.WriteAsync(u.ReasoningTokens, NpgsqlDbType.Bigint, ct);
        await row.WriteAsync(u.Stream, NpgsqlDbType.Boolean, ct);
        await row.WriteAsync(u.CacheHit, NpgsqlDbType.Boolean, ct);
        await row.WriteAsync(u.IsHealthCheck, NpgsqlDbType.Boolean, ct);
        await Milliseconds(row, u.AuthMs, ct);
        await Milliseconds(row, u.LimitsMs, ct);
        await Milliseconds(row, u.CacheMs, ct);
        await Milliseconds(row, u.UpstreamTtfbMs, ct);
        await Milliseconds(row, u.UpstreamMs, ct);
        await Milliseconds(row, u.OverheadMs, ct);
        await Milliseconds(row, u.TotalMs, ct);

        await row.WriteAsync(CleanJsonObject(Clean(u.Metadata, int.MaxValue)), NpgsqlDbType.Jsonb, ct);
    }

    private static Task Text(NpgsqlBinaryImporter row, string? value, CancellationToken ct) =>
        value is null ? row.WriteNullAsync(ct) : row.WriteAsync(value, NpgsqlDbType.Text, ct);

    private static Task Milliseconds(NpgsqlBinaryImporter row, double? value, CancellationToken ct) =>
        value is { } ms && double.IsFinite(ms) ? row.WriteAsync(ms, NpgsqlDbType.Double, ct) : row.WriteNullAsync(ct);

    /// <summary>
    /// Postgres text refuses NUL; the ledger's bounded columns refuse long values; Npgsql refuses a lone surrogate. None may
    /// poison a batch. A lone surrogate becomes U+FFFD, as the event's JSON has it: an event written from memory
    /// (<see cref="UsageHandoff"/>) and one parsed from the stream make the same row.
    /// </summary>
    internal static string? Clean(string? value, int maxLength)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Contains('\0'))
        {
            value = value.Replace("\0", "", StringComparison.Ordinal);
        }

        if (value.Length > maxLength)
        {
            value = value[..maxLength];
        }

        // Also a pair the cut above split. Only strings with a surrogate at all take this path.
        return value.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') ? Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value)) : value;
    }

    internal static string CleanJsonObject(string? json)
    {
        if (json is "{}")
        {
            return json; // most requests' metadata: no parse (a JsonDocument per row) needed
        }

        if (string.IsNullOrWhiteSpace(json) || json.Contains("\\u0000", StringComparison.Ordinal))
        {
            return "{}";
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object ? json : "{}";
        }
        catch (JsonException)
        {
            return "{}";
        }
    }

    // Key order: two replicas writing overlapping batches wait on each other's rows in the same order, never in a cycle.
    private const string MoveSql = $"""
        WITH inserted AS (
            INSERT INTO spend_logs ({Columns}, total_tokens)
            SELECT {Columns}, prompt_tokens + completion_tokens
            FROM pg_temp.spend_logs_stage ORDER BY request_id, start_time
            ON CONFLICT (request_id, start_time) DO NOTHING
            RETURNING api_key, team_id, spend, end_time
        ){RollUpSql}
        """;

    /// <summary>The same move without the conflict clause: fails on a row already in the ledger (then <see cref="MoveSql"/> runs).</summary>
    private const string NewRowsSql = $"""
        WITH inserted AS (
            INSERT INTO spend_logs ({Columns}, total_tokens)
            SELECT {Columns}, prompt_tokens + completion_tokens
            FROM pg_temp.spend_logs_stage ORDER BY request_id, start_time
            RETURNING api_key, team_id, spend, end_time
        ){RollUpSql}
        """;

    /// <summary>
    /// After a CTE <c>inserted</c> (the rows the insert returned: api_key, team_id, spend, end_time): adds their spend to
    /// their keys and teams, and selects how many there were.
    /// </summary>
    internal const string RollUpSql = """
        , key_spend AS (
            UPDATE virtual_keys k SET spend = k.spend + s.total, last_used_at = GREATEST(k.last_used_at, s.last_used)
            FROM (SELECT api_key, sum(spend) AS total, max(end_time) AS last_used FROM inserted WHERE api_key IS NOT NULL GROUP BY api_key) s
            WHERE k.token = s.api_key::bpchar
        ), team_spend AS (
            UPDATE teams t SET spend = t.spend + s.total
            FROM (SELECT team_id, sum(spend) AS total FROM inserted WHERE team_id IS NOT NULL GROUP BY team_id) s
            WHERE t.team_id = s.team_id
        )
        SELECT count(*) FROM inserted
        """;
}
