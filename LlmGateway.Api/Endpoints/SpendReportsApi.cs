using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data;
using LlmGateway.Api.Management;
using LlmGateway.Api.Spend;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// LiteLLM's spend reports: <c>/global/spend/report|keys|teams|models</c>, <c>/spend/tags</c>, <c>/user/daily/activity</c>,
/// in LiteLLM's response shapes, with the filters of <see cref="SpendFilter"/>. Master key only.
/// </summary>
public static class SpendReportsApi
{
    /// <summary>LiteLLM's top-keys and top-models views cover the last 30 days when no start_date is given.</summary>
    private static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(30);

    public static IEndpointRouteBuilder MapSpendReportsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("").WithTags("Spend").RequireMasterKey();
        api.MapGet("/global/spend/report", ReportAsync).WithName("GlobalSpendReport")
            .WithSummary("Spend between start_date and end_date grouped by team or customer per day, or by api_key.");
        api.MapGet("/global/spend/keys", KeysAsync).WithName("GlobalSpendKeys")
            .WithSummary("The keys that spent most (limit; last 30 days unless start_date is given).");
        api.MapGet("/global/spend/teams", TeamsAsync).WithName("GlobalSpendTeams")
            .WithSummary("Spend per team per day and per team in total (last 30 days unless start_date is given).");
        api.MapGet("/global/spend/models", ModelsAsync).WithName("GlobalSpendModels")
            .WithSummary("The models that spent most (limit, default 10; last 30 days unless start_date is given).");
        api.MapGet("/spend/tags", TagsAsync).WithName("SpendTags")
            .WithSummary("Spend and request count per request tag.");
        api.MapGet("/user/daily/activity", DailyActivityAsync).WithName("UserDailyActivity")
            .WithSummary("Per day between start_date and end_date: metrics, and their breakdown by model, provider and key; paged over days.");
        return app;
    }

    private static async Task<IResult> ReportAsync(HttpContext context, GatewayDbContext db, CancellationToken ct)
    {
        if (await RangeAsync(context) is not { } filter)
        {
            return TypedResults.Empty;
        }

        var groupBy = context.Request.Query["group_by"].ToString() is { Length: > 0 } given ? given : "team";
        if (groupBy.Equals("api_key", StringComparison.OrdinalIgnoreCase))
        {
            return Json(await SpendReportQueries.ReportByKeyAsync(db, filter, ct));
        }

        return SpendReportQueries.ReportGroups.ContainsKey(groupBy)
            ? Json(await SpendReportQueries.ReportByDayAsync(db, filter, groupBy, ct))
            : await SpendApi.FailAsync(context, GatewayError.InvalidRequest("'group_by' must be one of team, customer, api_key.", "group_by"));
    }

    private static async Task<IResult> KeysAsync(HttpContext context, GatewayDbContext db, CancellationToken ct) =>
        await RecentAsync(context, null) is { } request
            ? Json(await SpendReportQueries.TopKeysAsync(db, request.Filter, request.Limit, ct))
            : TypedResults.Empty;

    private static async Task<IResult> ModelsAsync(HttpContext context, GatewayDbContext db, CancellationToken ct) =>
        await RecentAsync(context, 10) is { } request
            ? Json(await SpendReportQueries.TopModelsAsync(db, request.Filter, request.Limit, ct))
            : TypedResults.Empty;

    private static async Task<IResult> TeamsAsync(HttpContext context, GatewayDbContext db, CancellationToken ct) =>
        await RecentAsync(context, null) is { } request
            ? TypedResults.Ok(await SpendReportQueries.TeamsByDayAsync(db, request.Filter, ct))
            : TypedResults.Empty;

    private static async Task<IResult> TagsAsync(HttpContext context, GatewayDbContext db, CancellationToken ct)
    {
        if (!SpendFilter.TryParse(context.Request.Query, out var filter, out var error))
        {
            return await SpendApi.FailAsync(context, error!);
        }

        return Json(await SpendReportQueries.TagsAsync(db, filter, ct));
    }

    private static async Task<IResult> DailyActivityAsync(HttpContext context, GatewayDbContext db, CancellationToken ct)
    {
        var query = context.Request.Query;
        if (await RangeAsync(context) is not { } filter)
        {
            return TypedResults.Empty;
        }

        if (!SpendApi.TryParseWhole(query, "page", 1, int.MaxValue, 1, out var page, out var error)
            || !SpendApi.TryParseWhole(query, "page_size", 1, 1000, 50, out var pageSize, out error))
        {
            return await SpendApi.FailAsync(context, error!);
        }

        return TypedResults.Ok(await DailyActivity.ReadAsync(db, filter, page, pageSize, ct));
    }

    /// <summary>The filter of a report that needs both dates (LiteLLM answers 400 without them); null once the 400 was sent.</summary>
    private static async Task<SpendFilter?> RangeAsync(HttpContext context)
    {
        if (!SpendFilter.TryParse(context.Request.Query, out var filter, out var error))
        {
            await SpendApi.FailAsync(context, error!);
            return null;
        }

        if (!filter.HasDateRange)
        {
            var missing = filter.Start is null ? "start_date" : "end_date";
            await SpendApi.FailAsync(context, GatewayError.InvalidRequest($"'{missing}' is required (YYYY-MM-DD).", missing));
            return null;
        }

        return filter;
    }

    /// <summary>The filter of a "recent" report (30 days unless start_date is given) and its <c>limit</c>; null once a 400 was sent.</summary>
    private static async Task<(SpendFilter Filter, int? Limit)?> RecentAsync(HttpContext context, int? defaultLimit)
    {
        var query = context.Request.Query;
        if (!SpendFilter.TryParse(query, out var filter, out var error)
            || !SpendApi.TryParseWhole(query, "limit", 1, int.MaxValue, defaultLimit ?? 0, out var limit, out error))
        {
            await SpendApi.FailAsync(context, error!);
            return null;
        }

        filter = filter with { Start = filter.Start ?? DateTimeOffset.UtcNow - DefaultWindow };
        return (filter, limit == 0 ? null : limit);
    }

    private static IResult Json(string json) => TypedResults.Text(json, "application/json", System.Text.Encoding.UTF8);
}
