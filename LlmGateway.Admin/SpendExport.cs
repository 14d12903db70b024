using LlmGateway.Admin.Services;

namespace LlmGateway.Admin;

/// <summary><c>GET /export/spend-logs.csv</c>: the filtered request log as a download, for signed-in admins.</summary>
public static class SpendExport
{
    public static IEndpointRouteBuilder MapSpendExport(this IEndpointRouteBuilder app)
    {
        app.MapGet("/export/spend-logs.csv", async (GatewayAdminClient gateway, string? teamId, string? apiKey, string? model, string? status,
            DateTimeOffset? start, DateTimeOffset? end, CancellationToken ct) =>
        {
            var result = await gateway.GetSpendLogsAsync(new SpendLogFilter
            {
                TeamId = teamId, ApiKey = apiKey, Model = model, Status = status, StartDate = start, EndDate = end,
            }, ct);
            return result.Ok
                ? Results.File(System.Text.Encoding.UTF8.GetBytes(SpendCsv.Write(result.Value!)), "text/csv", $"spend-logs-{DateTime.UtcNow:yyyyMMdd-HHmm}.csv")
                : Results.Problem(result.Error, statusCode: StatusCodes.Status502BadGateway);
        }).RequireAuthorization();
        return app;
    }
}
