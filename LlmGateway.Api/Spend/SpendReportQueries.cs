using System.Text.Json.Nodes;
using LlmGateway.Api.Data;
using Npgsql;
using NpgsqlTypes;

namespace LlmGateway.Api.Spend;

/// <summary>
/// LiteLLM's spend reports (<c>/global/spend/*</c>, <c>/spend/tags</c>), in its response shapes. Postgres builds the JSON
/// (<c>jsonb_agg</c>) where the shape is a plain aggregate; the filter is always parameters (<see cref="SpendFilter.WhereSql"/>).
/// </summary>
public static class SpendReportQueries
{
    /// <summary>The ledger rows of the filter, as a table <c>s</c> that can be joined with teams and keys without ambiguity.</summary>
    internal const string Filtered = $"(SELECT * FROM spend_logs WHERE {SpendFilter.WhereSql}) s";

    /// <summary>What <c>/global/spend/report?group_by=</c> may be: the group's JSON name, its list name and its SQL expression.</summary>
    public static readonly IReadOnlyDictionary<string, (string Field, string List, string Expression)> ReportGroups =
        new Dictionary<string, (string, string, string)>(StringComparer.OrdinalIgnoreCase)
        {
            ["team"] = ("team_name", "teams", "coalesce(t.team_alias, s.team_id, 'Unassigned Team')"),
            ["customer"] = ("customer", "customers", "s.end_user"),
        };

    /// <summary>
    /// <c>group_by=team|customer</c>: <c>[{group_by_day, teams|customers:[{team_name|customer, total_spend, metadata:[{model,
    /// api_key, spend, total_tokens}]}]}]</c>, by UTC day.
    /// </summary>
    public static Task<string> ReportByDayAsync(GatewayDbContext db, SpendFilter filter, string groupBy, CancellationToken ct)
    {
        var (field, list, expression) = ReportGroups[groupBy];
        var sql = $"""
            WITH per_model AS (
                SELECT to_char(s.start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, {expression} AS name,
                    coalesce(s.model_group, s.model) AS model, s.api_key, sum(s.spend) AS spend, sum(s.total_tokens) AS tokens
                FROM {Filtered} LEFT JOIN teams t ON t.team_id = s.team_id
                GROUP BY 1, 2, 3, 4),
            per_group AS (
                SELECT day, name, sum(spend) AS total, jsonb_agg(jsonb_build_object('model', model, 'api_key', api_key,
                    'spend', spend, 'total_tokens', tokens) ORDER BY spend DESC, model) AS metadata
                FROM per_model GROUP BY 1, 2),
            per_day AS (
                SELECT day, jsonb_agg(jsonb_build_object('{field}', name, 'total_spend', total, 'metadata', metadata)
                    ORDER BY total DESC, name) AS groups
                FROM per_group GROUP BY 1)
            SELECT coalesce(jsonb_agg(jsonb_build_object('group_by_day', day, '{list}', groups) ORDER BY day), '[]'::jsonb)::text FROM per_day
            """;
        return JsonAsync(db, sql, filter, null, ct);
    }

    /// <summary><c>group_by=api_key</c>: <c>[{api_key, key_alias, total_cost, model_details:[{model, total_cost, total_tokens}]}]</c>.</summary>
    public static Task<string> ReportByKeyAsync(GatewayDbContext db, SpendFilter filter, CancellationToken ct) => JsonAsync(db, $"""
        WITH per_model AS (
            SELECT s.api_key, max(coalesce(k.key_alias, s.key_alias)) AS key_alias, coalesce(s.model_group, s.model) AS model,
                sum(s.spend) AS spend, sum(s.total_tokens) AS tokens
            FROM {Filtered} LEFT JOIN virtual_keys k ON k.token = s.api_key WHERE s.api_key IS NOT NULL GROUP BY 1, 3),
        per_key AS (
            SELECT api_key, max(key_alias) AS key_alias, sum(spend) AS total, jsonb_agg(jsonb_build_object('model', model,
                'total_cost', spend, 'total_tokens', tokens) ORDER BY spend DESC, model) AS details
            FROM per_model GROUP BY 1)
        SELECT coalesce(jsonb_agg(jsonb_build_object('api_key', api_key, 'key_alias', key_alias, 'total_cost', total,
            'model_details', details) ORDER BY total DESC, api_key), '[]'::jsonb)::text FROM per_key
        """, filter, null, ct);

    /// <summary><c>/global/spend/keys</c>: <c>[{api_key, key_alias, key_name, total_spend}]</c>, highest spend first.</summary>
    public static Task<string> TopKeysAsync(GatewayDbContext db, SpendFilter filter, int? top, CancellationToken ct) => JsonAsync(db, $"""
        SELECT coalesce(jsonb_agg(r ORDER BY r.total_spend DESC, r.api_key), '[]'::jsonb)::text FROM (
            SELECT s.api_key, max(coalesce(k.key_alias, s.key_alias)) AS key_alias, max(k.key_name) AS key_name, sum(s.spend) AS total_spend
            FROM {Filtered} LEFT JOIN virtual_keys k ON k.token = s.api_key
            WHERE s.api_key IS NOT NULL GROUP BY s.api_key ORDER BY total_spend DESC, s.api_key LIMIT @top) r
        """, filter, top, ct);

    /// <summary><c>/global/spend/models</c>: <c>[{model, total_spend}]</c>, highest spend first.</summary>
    public static Task<string> TopModelsAsync(GatewayDbContext db, SpendFilter filter, int? top, CancellationToken ct) => JsonAsync(db, $"""
        SELECT coalesce(jsonb_agg(r ORDER BY r.total_spend DESC, r.model), '[]'::jsonb)::text FROM (
            SELECT coalesce(s.model_group, s.model) AS model, sum(s.spend) AS total_spend
            FROM {Filtered} WHERE coalesce(s.model_group, s.model) IS NOT NULL
            GROUP BY 1 ORDER BY total_spend DESC, 1 LIMIT @top) r
        """, filter, top, ct);

    /// <summary><c>/spend/tags</c>: <c>[{individual_request_tag, log_count, total_spend}]</c>; a request counts once per tag.</summary>
    public static Task<string> TagsAsync(GatewayDbContext db, SpendFilter filter, CancellationToken ct) => JsonAsync(db, $"""
        SELECT coalesce(jsonb_agg(r ORDER BY r.total_spend DESC, r.individual_request_tag), '[]'::jsonb)::text FROM (
            SELECT tag AS individual_request_tag, count(*) AS log_count, sum(s.spend) AS total_spend
            FROM {Filtered} CROSS JOIN LATERAL unnest(s.request_tags) AS tag GROUP BY tag) r
        """, filter, null, ct);

    /// <summary>
    /// <c>/global/spend/teams</c>: <c>{daily_spend:[{date, &lt;team&gt;: spend…}], teams:[…], total_spend_per_team:[{team_id, total_spend}]}</c>,
    /// teams named by alias (LiteLLM's "Unassigned" for requests without a team).
    /// </summary>
    public static async Task<JsonObject> TeamsByDayAsync(GatewayDbContext db, SpendFilter filter, CancellationToken ct)
    {
        var sql = $"""
            SELECT to_char(s.start_time AT TIME ZONE 'UTC', 'YYYY-MM-DD'), coalesce(t.team_alias, s.team_id, 'Unassigned'), sum(s.spend)
            FROM {Filtered} LEFT JOIN teams t ON t.team_id = s.team_id GROUP BY 1, 2 ORDER BY 1, 2
            """;
        var daily = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        var totals = new Dictionary<string, decimal>(StringComparer.Ordinal);
        await using (var reader = await SpendLedgerQueries.ReadAsync(db, sql, filter, ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var (day, team, spend) = (reader.GetString(0), reader.GetString(1), reader.GetDecimal(2));
                if (!daily.TryGetValue(day, out var row))
                {
                    daily[day] = row = new JsonObject { ["date"] = day };
                }

                row[team] = spend;
                totals[team] = totals.GetValueOrDefault(team) + spend;
            }
        }

        return new JsonObject
        {
            ["daily_spend"] = new JsonArray([.. daily.Values]),
            ["teams"] = new JsonArray([.. totals.Keys.Order(StringComparer.Ordinal).Select(t => (JsonNode)t)]),
            ["total_spend_per_team"] = new JsonArray([.. totals.OrderByDescending(t => t.Value).ThenBy(t => t.Key, StringComparer.Ordinal)
                .Select(t => (JsonNode)new JsonObject { ["team_id"] = t.Key, ["total_spend"] = t.Value })]),
        };
    }

    private static async Task<string> JsonAsync(GatewayDbContext db, string sql, SpendFilter filter, int? top, CancellationToken ct)
    {
        await using var reader = await SpendLedgerQueries.ReadAsync(db, sql, filter, ct, command =>
            command.Parameters.Add(new NpgsqlParameter("top", NpgsqlDbType.Integer) { Value = (object?)top ?? DBNull.Value }));
        return await reader.ReadAsync(ct) ? reader.GetString(0) : "[]";
    }
}
