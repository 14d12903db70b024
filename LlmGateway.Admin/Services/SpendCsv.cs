using System.Globalization;
using System.Text;

namespace LlmGateway.Admin.Services;

/// <summary>The request log as CSV; cells that a spreadsheet would run as a formula are quoted as text.</summary>
public static class SpendCsv
{
    private static readonly string[] Header =
    [
        "request_id", "start_time", "end_time", "status", "team_id", "api_key", "model_group", "model", "call_type",
        "spend", "prompt_tokens", "completion_tokens", "total_tokens", "cache_hit", "request_tags",
        "auth_ms", "limits_ms", "cache_ms", "upstream_ttfb_ms", "upstream_ms", "overhead_ms", "total_ms",
    ];

    public static string Write(IEnumerable<SpendLogRow> rows)
    {
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', Header));
        foreach (var row in rows)
        {
            string?[] cells =
            [
                row.RequestId, Time(row.StartTime), Time(row.EndTime), row.Status, row.TeamId, row.ApiKey, row.ModelGroup, row.Model, row.CallType,
                Number(row.Spend), Number(row.PromptTokens), Number(row.CompletionTokens), Number(row.TotalTokens),
                row.CacheHit?.ToString().ToLowerInvariant(), row.RequestTags is null ? null : string.Join(';', row.RequestTags),
                Number(row.AuthMs), Number(row.LimitsMs), Number(row.CacheMs), Number(row.UpstreamTtfbMs), Number(row.UpstreamMs),
                Number(row.OverheadMs), Number(row.TotalMs),
            ];
            csv.AppendLine(string.Join(',', cells.Select(Cell)));
        }

        return csv.ToString();
    }

    private static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !double.TryParse(value, CultureInfo.InvariantCulture, out _))
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    private static string? Time(DateTimeOffset? value) => value?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string? Number(double? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
