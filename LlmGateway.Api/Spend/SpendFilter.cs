using System.Globalization;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Keys;
using Npgsql;
using NpgsqlTypes;

namespace LlmGateway.Api.Spend;

/// <summary>
/// The filters of the spend API, parsed from LiteLLM's query parameters. In SQL they are always parameters
/// (<see cref="WhereSql"/> is constant text), never concatenated (CVE-2024-4890).
/// </summary>
public sealed record SpendFilter
{
    public string? RequestId { get; init; }
    /// <summary>The key's SHA-256 hex: a raw <c>sk-…</c> key given as a filter is hashed, never stored or echoed.</summary>
    public string? ApiKeyHash { get; init; }
    public string? TeamId { get; init; }
    /// <summary>The key's owner (LiteLLM's <c>user_id</c>, the ledger's <c>user</c>).</summary>
    public string? UserId { get; init; }
    /// <summary>Who the request was for (LiteLLM's customer: <c>end_user</c>, <c>customer_id</c>).</summary>
    public string? EndUser { get; init; }
    public string? Model { get; init; }
    public string? Status { get; init; }
    /// <summary>Inclusive.</summary>
    public DateTimeOffset? Start { get; init; }
    /// <summary>Exclusive (a date-only <c>end_date</c> means the whole day).</summary>
    public DateTimeOffset? End { get; init; }

    public const string WhereSql = """
        (@request_id IS NULL OR request_id = @request_id)
        AND (@api_key IS NULL OR api_key = @api_key)
        AND (@team_id IS NULL OR team_id = @team_id)
        AND (@user_id IS NULL OR "user" = @user_id)
        AND (@end_user IS NULL OR end_user = @end_user)
        AND (@model IS NULL OR model_group = @model OR model = @model)
        AND (@status IS NULL OR status = @status)
        AND (@start IS NULL OR start_time >= @start)
        AND (@end IS NULL OR start_time < @end)
        """;

    public void AddParameters(NpgsqlCommand command)
    {
        Text(command, "request_id", RequestId);
        Text(command, "api_key", ApiKeyHash);
        Text(command, "team_id", TeamId);
        Text(command, "user_id", UserId);
        Text(command, "end_user", EndUser);
        Text(command, "model", Model);
        Text(command, "status", Status);
        command.Parameters.Add(new NpgsqlParameter("start", NpgsqlDbType.TimestampTz) { Value = (object?)Start?.UtcDateTime ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("end", NpgsqlDbType.TimestampTz) { Value = (object?)End?.UtcDateTime ?? DBNull.Value });
    }

    private static void Text(NpgsqlCommand command, string name, string? value) =>
        command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });

    /// <summary>Reads the LiteLLM query parameters; a malformed one is a 400 naming it.</summary>
    public static bool TryParse(IQueryCollection query, out SpendFilter filter, out GatewayError? error)
    {
        filter = new SpendFilter();
        error = null;
        // No row holds one, and Postgres refuses it as text: refused here, before the answer has started (it cut a 200 short).
        foreach (var (name, values) in query)
        {
            if (values.ToString().Contains('\0'))
            {
                error = GatewayError.InvalidRequest($"'{name}' holds a NUL character.", name, "invalid_value");
                return false;
            }
        }

        if (!TryParseDate(query, "start_date", endOfDay: false, out var start, ref error)
            || !TryParseDate(query, "end_date", endOfDay: true, out var end, ref error))
        {
            return false;
        }

        var apiKey = Value(query, "api_key");
        filter = new SpendFilter
        {
            RequestId = Value(query, "request_id"),
            ApiKeyHash = apiKey is null ? null : apiKey.StartsWith("sk-", StringComparison.Ordinal) ? VirtualKeyFormat.Hash(apiKey) : apiKey.ToLowerInvariant(),
            TeamId = Value(query, "team_id"),
            UserId = Value(query, "user_id") ?? Value(query, "internal_user_id"),
            EndUser = Value(query, "end_user") ?? Value(query, "customer_id"),
            Model = Value(query, "model_group") ?? Value(query, "model"),
            Status = Value(query, "status"),
            Start = start,
            End = end,
        };
        return true;
    }

    /// <summary>Both <c>start_date</c> and <c>end_date</c> were given (LiteLLM's reports need them; /spend/logs then summarises).</summary>
    public bool HasDateRange => Start is not null && End is not null;

    private static string? Value(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && !string.IsNullOrEmpty(values.ToString()) ? values.ToString() : null;

    private static bool TryParseDate(IQueryCollection query, string name, bool endOfDay, out DateTimeOffset? value, ref GatewayError? error)
    {
        value = null;
        var text = Value(query, name);
        if (text is null)
        {
            return true;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var midnight = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            value = endOfDay ? (day == DateOnly.MaxValue ? DateTimeOffset.MaxValue : midnight.AddDays(1)) : midnight;
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            // An exact end instant is inclusive, like LiteLLM's.
            value = endOfDay ? (instant.UtcTicks > DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerMicrosecond ? DateTimeOffset.MaxValue : instant.AddTicks(TimeSpan.TicksPerMicrosecond)) : instant;
            return true;
        }

        error = GatewayError.InvalidRequest($"'{name}' must be a date (YYYY-MM-DD) or an ISO 8601 timestamp.", name);
        return false;
    }
}
