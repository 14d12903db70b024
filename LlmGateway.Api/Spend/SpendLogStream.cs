using System.Data;
using System.Text.Json;
using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace LlmGateway.Api.Spend;

/// <summary>
/// <c>/spend/logs</c> rows written to the response as Postgres returns them: an answer of any length in constant memory
/// (no entity list, no buffering execution strategy), flushed to the client every <see cref="FlushBytes"/>.
/// The fields and their order are those of <see cref="SpendLogRow"/>.
/// </summary>
public static class SpendLogStream
{
    private const int FlushBytes = 32 * 1024;

    private const string Select = """
        SELECT request_id, call_type, api_key, team_id, "user", end_user, request_tags, model_group, model, api_base,
            spend, prompt_tokens, completion_tokens, total_tokens, start_time, end_time, cache_hit, status, metadata::text,
            key_alias, provider, deployment_id, attempts, status_code, cached_tokens, reasoning_tokens, auth_ms, limits_ms,
            cache_ms, upstream_ttfb_ms, upstream_ms, overhead_ms, total_ms, price_unknown, saved_cost,
            cache_creation_input_tokens, cache_creation_1h_input_tokens
        FROM spend_logs
        """;

    private static readonly string[] Names =
    [
        "request_id", "call_type", "api_key", "team_id", "user", "end_user", "request_tags", "model_group", "model", "api_base",
        "spend", "prompt_tokens", "completion_tokens", "total_tokens", "startTime", "endTime", "cache_hit", "status", "metadata",
        "key_alias", "provider", "deployment_id", "attempts", "status_code", "cached_tokens", "reasoning_tokens", "auth_ms",
        "limits_ms", "cache_ms", "upstream_ttfb_ms", "upstream_ms", "overhead_ms", "total_ms", "price_unknown", "saved_cost",
    ];

    /// <summary>Writes the rows matching <paramref name="filter"/>, newest first, as a JSON array; every row when <paramref name="limit"/> is null.</summary>
    public static async Task WriteArrayAsync(Utf8JsonWriter json, Stream body, GatewayDbContext db, SpendFilter filter,
        long? limit, long offset, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand(
            $"{Select} WHERE {SpendFilter.WhereSql} ORDER BY start_time DESC, request_id LIMIT @limit OFFSET @offset", connection);
        filter.AddParameters(command);
        command.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Bigint) { Value = (object?)limit ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("offset", NpgsqlDbType.Bigint) { Value = offset });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, ct);
        json.WriteStartArray();
        while (await reader.ReadAsync(ct))
        {
            WriteRow(json, reader);
            if (json.BytesPending >= FlushBytes)
            {
                await json.FlushAsync(ct);
                await body.FlushAsync(ct);
            }
        }

        json.WriteEndArray();
    }

    /// <summary>How many rows match, for <c>/spend/logs/v2</c>'s <c>total</c>.</summary>
    public static async Task<long> CountAsync(GatewayDbContext db, SpendFilter filter, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM spend_logs WHERE {SpendFilter.WhereSql}", connection);
        filter.AddParameters(command);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>How each column of <see cref="Select"/> is read: s string, j jsonb text, a text[], m numeric, l bigint, i int, d double, b bool, t timestamptz.</summary>
    private const string Kinds = "ssssssasss" + "mllltt" + "bsjsss" + "iill" + "ddddddd" + "bm" + "ll";

    private static void WriteRow(Utf8JsonWriter json, NpgsqlDataReader reader)
    {
        json.WriteStartObject();
        long cacheReads = 0;
        for (var i = 0; i < Names.Length; i++)
        {
            json.WritePropertyName(Names[i]);
            if (reader.IsDBNull(i))
            {
                json.WriteNullValue();
                continue;
            }

            switch (Kinds[i])
            {
                case 's': json.WriteStringValue(reader.GetString(i)); break;
                case 'j': json.WriteRawValue(reader.GetString(i), skipInputValidation: true); break; // jsonb's own text
                case 'a': WriteTags(json, reader.GetFieldValue<string[]>(i)); break;
                case 'm': json.WriteNumberValue(reader.GetDecimal(i)); break;
                case 'l':
                    var number = reader.GetInt64(i);
                    cacheReads = i == CachedTokensColumn ? number : cacheReads;
                    json.WriteNumberValue(number);
                    break;
                case 'i': json.WriteNumberValue(reader.GetInt32(i)); break;
                case 'd': json.WriteNumberValue(reader.GetDouble(i)); break;
                case 'b': json.WriteBooleanValue(reader.GetBoolean(i)); break;
                default: json.WriteStringValue(reader.GetFieldValue<DateTimeOffset>(i)); break;
            }
        }

        // LiteLLM's name for the cache reads (the gateway's first name is cached_tokens), then the cache writes.
        json.WriteNumber("cache_read_input_tokens", cacheReads);
        json.WriteNumber("cache_creation_input_tokens", reader.GetInt64(Names.Length));
        json.WriteNumber("cache_creation_1h_input_tokens", reader.GetInt64(Names.Length + 1));
        json.WriteEndObject();
    }

    private const int CachedTokensColumn = 24;

    private static void WriteTags(Utf8JsonWriter json, string[] tags)
    {
        json.WriteStartArray();
        foreach (var tag in tags)
        {
            json.WriteStringValue(tag);
        }

        json.WriteEndArray();
    }
}
