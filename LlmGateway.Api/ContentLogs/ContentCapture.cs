using LlmGateway.Api.Auth;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.ContentLogs;

/// <summary>
/// For a proxy request whose key or team has <c>log_content: true</c>, copies the request and response bodies (bounded) and
/// stores them in <c>content_logs</c> after the response. Every other request passes untouched: content is never kept by default.
/// </summary>
public sealed class ContentCapture(IServiceScopeFactory scopes, IOptions<ContentLogOptions> options, ILogger<ContentCapture> logger)
    : IEndpointFilter
{
    private static readonly TimeSpan InsertTimeout = TimeSpan.FromSeconds(2);

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next) =>
        invocation.HttpContext.Features.Get<Authentication>()?.Caller?.Key is { LogContent: true } key
            ? CaptureAsync(invocation, next, key)
            : next(invocation); // the common case: no state machine, the next filter's task as it is

    private async ValueTask<object?> CaptureAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next, Keys.KeyRecord key)
    {
        var context = invocation.HttpContext;
        var limit = options.Value.MaxContentBytes;
        var request = new TeeStream(context.Request.Body, limit);
        context.Request.Body = request;
        var originalBody = context.Features.Get<IHttpResponseBodyFeature>()!;
        var response = new TeeStream(originalBody.Stream, limit);
        var teeFeature = new StreamResponseBodyFeature(response, originalBody);
        context.Features.Set<IHttpResponseBodyFeature>(teeFeature);
        object? result = null;
        try
        {
            result = await next(invocation);
            await teeFeature.CompleteAsync();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            // the client left; what was captured is still logged
        }
        finally
        {
            context.Features.Set(originalBody);
            await SaveAsync(context, key, request, response);
        }

        return result;
    }

    private async Task SaveAsync(HttpContext context, Keys.KeyRecord key, TeeStream request, TeeStream response)
    {
        try
        {
            using var timeout = new CancellationTokenSource(InsertTimeout);
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
            db.ContentLogs.Add(new ContentLog
            {
                RequestId = context.TraceIdentifier,
                CreatedAt = DateTimeOffset.UtcNow,
                ApiKey = key.Token,
                TeamId = key.TeamId,
                Path = context.Request.Path.Value ?? "",
                StatusCode = context.Response.StatusCode,
                Request = request.Text().Replace("\0", "", StringComparison.Ordinal),
                Response = response.Text().Replace("\0", "", StringComparison.Ordinal),
                Truncated = request.Truncated || response.Truncated,
            });
            await db.SaveChangesAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            // Never the content itself in the log.
            logger.LogWarning("Content log of request {RequestId} not stored: {Error}", context.TraceIdentifier, ex.GetType().Name);
        }
    }
}
