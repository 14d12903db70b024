using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Management;
using LlmGateway.Api.Data;
using LlmGateway.Api.Spend;

namespace LlmGateway.Api.Endpoints;

/// <summary>LiteLLM's spend reads (<c>/spend/logs</c>, <c>/global/spend</c>) and the gateway's <c>/spend/summary</c>; master key only.</summary>
public static class SpendApi
{
    public static IEndpointRouteBuilder MapSpendApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Spend").RequireMasterKey();
        api.MapGet("/spend/logs", GetLogsAsync).WithName("SpendLogs").Produces<List<SpendLogRow>>()
            .WithSummary("Every ledger row matching the filters, newest first, streamed; daily totals when start_date and end_date are given (summarize, default true).");
        api.MapGet("/spend/logs/v2", GetLogsPageAsync).WithName("SpendLogsV2").Produces<SpendLogPage>()
            .WithSummary("One page of ledger rows: {data, total, page, page_size, total_pages}.");
        api.MapGet("/global/spend", GetGlobalAsync).WithName("GlobalSpend")
            .WithSummary("Total spend and the sum of the teams' budgets.");
        api.MapGet("/spend/summary", GetSummaryAsync).WithName("SpendSummary")
            .WithSummary("Spend, requests, errors, tokens and p50/p95 latency grouped by team, key, model, tag, day, end_user or user.");
        return app;
    }

    private static async Task<IResult> GetLogsAsync(HttpContext context, GatewayDbContext db, CancellationToken ct)
    {
        var query = context.Request.Query;
        if (!SpendFilter.TryParse(query, out var filter, out var error) || !TryParseLimit(query, out var limit, out error))
        {
            return await FailAsync(context, error!);
        }

        // LiteLLM: with both dates the answer is the daily summary unless summarize=false; otherwise every matching row.
        var summarize = query.ContainsKey("summarize") ? IsTrue(query["summarize"].ToString()) : filter.HasDateRange;
        if (summarize)
        {
            return TypedResults.Ok(await SpendLedgerQueries.DailyAsync(db, filter, ct, fillEmptyDays: true));
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        await SpendLogStream.WriteArrayAsync(json, context.Response.Body, db, filter, limit, 0, ct);
        await json.FlushAsync(ct);
        return TypedResults.Empty;
    }

    private static async Task<IResult> GetLogsPageAsync(HttpContext context, GatewayDbContext db, CancellationToken ct)
    {
        var query = context.Request.Query;
        if (!SpendFilter.TryParse(query, out var filter, out var error)
            || !TryParseWhole(query, "page", 1, int.MaxValue, 1, out var page, out error)
            || !TryParseWhole(query, "page_size", 1, MaxPageSize, DefaultPageSize, out var pageSize, out error))
        {
            return await FailAsync(context, error!);
        }

        var total = await SpendLogStream.CountAsync(db, filter, ct);
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WritePropertyName("data");
        await SpendLogStream.WriteArrayAsync(json, context.Response.Body, db, filter, pageSize, (page - 1L) * pageSize, ct);
        json.WriteNumber("total", total);
        json.WriteNumber("page", page);
        json.WriteNumber("page_size", pageSize);
        json.WriteNumber("total_pages", (total + pageSize - 1) / pageSize);
        json.WriteEndObject();
        await json.FlushAsync(ct);
        return TypedResults.Empty;
    }

    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 100;

    private static async Task<IResult> GetGlobalAsync(GatewayDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await SpendLedgerQueries.GlobalAsync(db, ct));

    private static async Task<IResult> GetSummaryAsync(HttpContext context, GatewayDbContext db, CancellationToken ct)
    {
        var query = context.Request.Query;
        if (!SpendFilter.TryParse(query, out var filter, out var error))
        {
            return await FailAsync(context, error!);
        }

        var groupBy = query["group_by"].ToString();
        if (groupBy.Length == 0)
        {
            groupBy = "team";
        }

        if (!SpendLedgerQueries.GroupExpressions.ContainsKey(groupBy))
        {
            return await FailAsync(context, GatewayError.InvalidRequest(
                $"'group_by' must be one of {string.Join(", ", SpendLedgerQueries.GroupExpressions.Keys)}.", "group_by"));
        }

        return TypedResults.Ok(await SpendLedgerQueries.SummaryAsync(db, filter, groupBy, ct));
    }

    /// <summary><c>limit</c> is optional: without it every matching row is returned (streamed), as LiteLLM does.</summary>
    private static bool TryParseLimit(IQueryCollection query, out int? limit, out GatewayError? error)
    {
        limit = null;
        if (query["limit"].ToString().Length == 0)
        {
            error = null;
            return true;
        }

        var ok = TryParseWhole(query, "limit", 1, int.MaxValue, 0, out var value, out error);
        limit = value;
        return ok;
    }

    internal static bool TryParseWhole(IQueryCollection query, string name, int min, int max, int fallback, out int value, out GatewayError? error)
    {
        error = null;
        value = fallback;
        var text = query[name].ToString();
        if (text.Length == 0
            || (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value) && value >= min && value <= max))
        {
            return true;
        }

        error = GatewayError.InvalidRequest($"'{name}' must be a whole number from {min} to {max}.", name);
        return false;
    }

    internal static bool IsTrue(string value) => value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1";

    internal static async Task<IResult> FailAsync(HttpContext context, GatewayError error)
    {
        await ErrorWriter.WriteAsync(context, error, ClientFormat.OpenAi);
        return TypedResults.Empty;
    }
}
