using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LlmGateway.Api.Spend;

/// <summary>The admin's reads of the ledger. EF LINQ where it can say it; otherwise constant SQL with parameters.</summary>
public static class SpendLedgerQueries
{

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

    /// <summary>Daily totals; with <paramref name="fillEmptyDays"/>, every day of the filter's range appears (LiteLLM's answer).</summary>
    public static async Task<List<SpendDay>> DailyAsync(GatewayDbContext db, SpendFilter filter, CancellationToken ct, bool fillEmptyDays = false)
    {
        var sql = $"""
            SELECT to_char(start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD'), coalesce(model_group, model, ''), coalesce(api_key, ''),
                coalesce("user", ''), sum(spend), count(*), sum(prompt_tokens), sum(completion_tokens)
            FROM spend_logs WHERE {SpendFilter.WhereSql}
            GROUP BY 1, 2, 3, 4 ORDER BY 1
            """;
        var days = new SortedDictionary<string, DayTotals>(StringComparer.Ordinal);
        await using (var reader = await ReadAsync(db, sql, filter, ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var day = reader.GetString(0);
                if (!days.TryGetValue(day, out var totals))
                {
                    days[day] = totals = new DayTotals();
                }

                totals.Add(reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetDecimal(4), reader.GetInt64(5),
                    reader.GetInt64(6), reader.GetInt64(7));
            }
        }

        if (fillEmptyDays)
        {
            FillEmptyDays(days, filter);
        }

        return days.Select(d => d.Value.ToDay(d.Key)).ToList();
    }

    /// <summary>Days of the range without spend appear with zeros, as in LiteLLM's answer (at most <see cref="MaxFilledDays"/>).</summary>
    private static void FillEmptyDays(SortedDictionary<string, DayTotals> days, SpendFilter filter)
    {
        if (filter is not { Start: { } start, End: { } end })
        {
            return;
        }

        var day = DateOnly.FromDateTime(start.UtcDateTime);
        for (var n = 0; n < MaxFilledDays && new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) < end; n++, day = day.AddDays(1))
        {
            days.TryAdd(day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), new DayTotals());
        }
    }

    private const int MaxFilledDays = 1000;

    private sealed class DayTotals
    {
        private decimal spend;
        private long requests, prompt, completion;
        private readonly Dictionary<string, decimal> models = [], keys = [], users = [];

        public void Add(string model, string key, string user, decimal amount, long count, long promptTokens, long completionTokens)
        {
            spend += amount;
            requests += count;
            prompt += promptTokens;
            completion += completionTokens;
            models[model] = models.GetValueOrDefault(model) + amount;
            keys[key] = keys.GetValueOrDefault(key) + amount;
            users[user] = users.GetValueOrDefault(user) + amount;
        }

        public SpendDay ToDay(string day) => new(day, spend, requests, prompt, completion, models, keys, users)
        {
            SpendByKey = keys.Where(k => k.Key.Length > 0).ToDictionary(k => k.Key, k => (object)k.Value),
        };
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

    internal static async Task<NpgsqlDataReader> ReadAsync(GatewayDbContext db, string sql, SpendFilter filter, CancellationToken ct,
        Action<NpgsqlCommand>? parameters = null)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        var command = new NpgsqlCommand(sql, connection);
        filter.AddParameters(command);
        parameters?.Invoke(command);
        return await command.ExecuteReaderAsync(System.Data.CommandBehavior.Default, ct);
    }
}
