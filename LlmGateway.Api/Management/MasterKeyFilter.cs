using LlmGateway.Api.Auth;
using LlmGateway.Api.Contracts;
using Microsoft.AspNetCore.Http.Features;

namespace LlmGateway.Api.Management;

/// <summary>
/// The management API's gate: the master key only; a valid virtual key gets 403, anything else 401. It runs as
/// middleware after routing, before the handler's parameters are bound, so an unauthenticated client never gets
/// its body read or parsed, and an authenticated one may send at most <c>Gateway:ManagementMaxBodyBytes</c> (1 MiB).
/// </summary>
public static class MasterKeyFilter
{
    public const long DefaultMaxBodyBytes = 1024 * 1024;

    /// <summary>Marks a route group as master-key only (checked by <see cref="UseMasterKeyGate"/>).</summary>
    public static RouteGroupBuilder RequireMasterKey(this RouteGroupBuilder group) => group.WithMetadata(MasterKeyRequired.Instance);

    public static WebApplication UseMasterKeyGate(this WebApplication app)
    {
        var maxBody = app.Configuration.GetValue("Gateway:ManagementMaxBodyBytes", DefaultMaxBodyBytes);
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<MasterKeyRequired>() is null)
            {
                await next(context);
                return;
            }

            var auth = context.RequestServices.GetRequiredService<GatewayAuthenticator>();
            var error = await auth.RequireMasterAsync(context.Request, context.RequestAborted);
            if (error is null && context.Request.ContentLength > maxBody)
            {
                error = GatewayError.BodyTooLarge(maxBody);
            }

            if (error is not null)
            {
                // The unread body is not drained: the connection closes after this answer.
                context.Response.Headers.Connection = "close";
                await ErrorWriter.WriteAsync(context, error, ClientFormat.OpenAi);
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = maxBody;
            }

            await next(context);
        });
        return app;
    }

    private sealed class MasterKeyRequired
    {
        public static readonly MasterKeyRequired Instance = new();
    }
}
