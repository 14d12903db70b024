using LlmGateway.Api.Auth;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary><c>GET /content/logs?request_id=</c>: stored prompts and completions, master key only, every read audited in <c>audit_log</c>.</summary>
public static class ContentLogsApi
{
    public static IEndpointRouteBuilder MapContentLogsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/content/logs", GetContentLogs)
            .WithName("ContentLogs").WithSummary("The stored request and response of a request (keys or teams with log_content: true); audited.");
        return app;
    }

    public sealed record ContentLogEntry(string RequestId, DateTimeOffset CreatedAt, string? TeamId, string Path, int StatusCode,
        string Request, string Response, bool Truncated);

    private static async Task<IResult> GetContentLogs(HttpContext http, GatewayAuthenticator auth, GatewayDbContext db, string? request_id)
    {
        if (await auth.RequireMasterAsync(http.Request, http.RequestAborted) is { } error)
        {
            await ErrorWriter.WriteAsync(http, error, ClientFormat.OpenAi);
            return TypedResults.Empty;
        }

        if (string.IsNullOrWhiteSpace(request_id) || request_id.Length > 128)
        {
            await ErrorWriter.WriteAsync(http, GatewayError.InvalidRequest("request_id is required (at most 128 characters).", "request_id"), ClientFormat.OpenAi);
            return TypedResults.Empty;
        }

        var entries = await db.ContentLogs.AsNoTracking().Where(c => c.RequestId == request_id).OrderBy(c => c.Id)
            .Select(c => new ContentLogEntry(c.RequestId, c.CreatedAt, c.TeamId, c.Path, c.StatusCode, c.Request, c.Response, c.Truncated))
            .ToListAsync(http.RequestAborted);
        db.AuditLog.Add(new AuditLog
        {
            At = DateTimeOffset.UtcNow,
            Actor = "master_key",
            Action = "content_logs.read",
            Target = request_id,
            Results = entries.Count,
            ClientAddress = http.Connection.RemoteIpAddress?.ToString(),
        });
        await db.SaveChangesAsync(http.RequestAborted);
        return TypedResults.Ok(entries);
    }
}
