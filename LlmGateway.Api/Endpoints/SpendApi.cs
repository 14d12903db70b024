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
        api.MapGet("/spend/logs", GetLogsAsync).WithName("SpendLogs")
            .WithSummary("Ledger rows, newest first (LiteLLM filters), or daily totals with summarize=true.");
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

        return IsTrue(query["summarize"].ToString())
            ? TypedResults.Ok(await SpendLedgerQueries.DailyAsync(db, filter, ct))
            : TypedResults.Ok(await SpendLedgerQueries.LogsAsync(db, filter, limit, ct));
    }

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

    private static bool TryParseLimit(IQueryCollection query, out int limit, out GatewayError? error)
    {
        error = null;
        limit = SpendLedgerQueries.DefaultLimit;
        var text = query["limit"].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        if (int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out limit) && limit >= 1)
        {
            limit = Math.Min(limit, SpendLedgerQueries.MaxLimit);
            return true;
        }

        error = GatewayError.InvalidRequest($"'limit' must be a whole number from 1 to {SpendLedgerQueries.MaxLimit}.", "limit");
        return false;
    }

    private static bool IsTrue(string value) => value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1";

    private static async Task<IResult> FailAsync(HttpContext context, GatewayError error)
    {
        await ErrorWriter.WriteAsync(context, error, ClientFormat.OpenAi);
        return TypedResults.Empty;
    }
}
