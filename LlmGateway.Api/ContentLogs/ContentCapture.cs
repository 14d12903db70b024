using LlmGateway.Api.Auth;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Shutdown;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.ContentLogs;

/// <summary>
/// For a proxy request whose key or team has <c>log_content: true</c>, copies the request and response bodies (bounded) and
/// stores them in <c>content_logs</c> after the response. Every other request passes untouched: content is never kept by default.
/// </summary>
public sealed class ContentCapture(
    GatewayAuthenticator auth, IServiceScopeFactory scopes, IOptions<ContentLogOptions> options, ILogger<ContentCapture> logger)
{
    private static readonly TimeSpan InsertTimeout = TimeSpan.FromSeconds(2);

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !InFlightRequests.IsProxyPath(context.Request.Path))
        {
            await next();
            return;
        }

        var (caller, _) = await auth.AuthenticateAsync(context.Request, context.RequestAborted);
        if (caller?.Key is not { LogContent: true } key)
        {
            await next();
            return;
        }

        var limit = options.Value.MaxContentBytes;
        var request = new TeeStream(context.Request.Body, limit);
        context.Request.Body = request;
        var originalBody = context.Features.Get<IHttpResponseBodyFeature>()!;
        var response = new TeeStream(originalBody.Stream, limit);
        var teeFeature = new StreamResponseBodyFeature(response, originalBody);
        context.Features.Set<IHttpResponseBodyFeature>(teeFeature);
        try
        {
            await next();
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

internal sealed class ContentCaptureStartupFilter(ContentCapture capture) : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) => capture.InvokeAsync(context, () => nextMiddleware(context)));
        next(app);
    };
}
