using System.Text.Json.Nodes;
using LlmGateway.Api.Data;

namespace LlmGateway.Api.Spend;

/// <summary>
/// LiteLLM's <c>/user/daily/activity</c>: per UTC day, the metrics and their breakdown by model, provider and key,
/// paged over days: <c>{results:[{date, metrics, breakdown:{models, providers, api_keys}}], metadata:{total_…, page, total_pages, has_more}}</c>.
/// </summary>
public static class DailyActivity
{
    private static readonly string[] MetricNames =
    [
        "spend", "prompt_tokens", "completion_tokens", "total_tokens", "api_requests", "successful_requests", "failed_requests",
        "cache_read_input_tokens", "cache_creation_input_tokens",
    ];

    public static async Task<JsonObject> ReadAsync(GatewayDbContext db, SpendFilter filter, int page, int pageSize, CancellationToken ct)
    {
        var sql = $"""
            SELECT to_char(s.start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD'), coalesce(s.model_group, s.model, ''), coalesce(s.provider, ''),
                coalesce(s.api_key, ''), max(coalesce(k.key_alias, s.key_alias)),
                sum(s.spend), sum(s.prompt_tokens), sum(s.completion_tokens), sum(s.total_tokens), count(*),
                count(*) FILTER (WHERE s.status = 'success'), count(*) FILTER (WHERE s.status <> 'success'),
                sum(s.cached_tokens), sum(s.cache_creation_input_tokens)
            FROM {SpendReportQueries.Filtered} LEFT JOIN virtual_keys k ON k.token = s.api_key
            GROUP BY 1, 2, 3, 4 ORDER BY 1
            """;
        var days = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        var totals = new decimal[MetricNames.Length];
        await using (var reader = await SpendLedgerQueries.ReadAsync(db, sql, filter, ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var values = new decimal[MetricNames.Length];
                values[0] = reader.GetDecimal(5);
                for (var i = 1; i < values.Length; i++)
                {
                    values[i] = reader.GetInt64(5 + i);
                }

                var day = Day(days, reader.GetString(0));
                var breakdown = day["breakdown"]!.AsObject();
                Add(day, values);
                Add(Entry(breakdown["models"]!.AsObject(), reader.GetString(1)), values);
                Add(Entry(breakdown["providers"]!.AsObject(), reader.GetString(2)), values);
                var key = Entry(breakdown["api_keys"]!.AsObject(), reader.GetString(3));
                key["metadata"]!.AsObject()["key_alias"] = reader.IsDBNull(4) ? null : reader.GetString(4);
                Add(key, values);
                for (var i = 0; i < totals.Length; i++)
                {
                    totals[i] += values[i];
                }
            }
        }

        var totalPages = (days.Count + pageSize - 1) / pageSize;
        var metadata = new JsonObject();
        for (var i = 0; i < totals.Length; i++)
        {
            metadata["total_" + MetricNames[i]] = i == 0 ? totals[i] : (long)totals[i];
        }

        metadata["page"] = page;
        metadata["total_pages"] = totalPages;
        metadata["has_more"] = page < totalPages;
        return new JsonObject
        {
            ["results"] = new JsonArray([.. days.Values.Skip((page - 1) * pageSize).Take(pageSize)]),
            ["metadata"] = metadata,
        };
    }

    private static JsonObject Day(SortedDictionary<string, JsonObject> days, string date)
    {
        if (!days.TryGetValue(date, out var day))
        {
            days[date] = day = new JsonObject
            {
                ["date"] = date,
                ["metrics"] = NewMetrics(),
                ["breakdown"] = new JsonObject { ["models"] = new JsonObject(), ["providers"] = new JsonObject(), ["api_keys"] = new JsonObject() },
            };
        }

        return day;
    }

    private static JsonObject Entry(JsonObject group, string name)
    {
        if (group[name] is not JsonObject entry)
        {
            group[name] = entry = new JsonObject { ["metrics"] = NewMetrics(), ["metadata"] = new JsonObject() };
        }

        return entry;
    }

    private static JsonObject NewMetrics()
    {
        var metrics = new JsonObject();
        metrics["spend"] = 0m;
        foreach (var name in MetricNames.Skip(1))
        {
            metrics[name] = 0L;
        }

        return metrics;
    }

    private static void Add(JsonObject owner, decimal[] values)
    {
        var metrics = owner["metrics"]!.AsObject();
        metrics["spend"] = metrics["spend"]!.GetValue<decimal>() + values[0];
        for (var i = 1; i < values.Length; i++)
        {
            metrics[MetricNames[i]] = metrics[MetricNames[i]]!.GetValue<long>() + (long)values[i];
        }
    }
}
