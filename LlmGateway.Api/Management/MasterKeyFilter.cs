using LlmGateway.Api.Auth;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Management;

/// <summary>The management API's gate: the master key only; a valid virtual key gets 403, anything else 401.</summary>
public static class MasterKeyFilter
{
    public static RouteGroupBuilder RequireMasterKey(this RouteGroupBuilder group) => group.AddEndpointFilter(async (invocation, next) =>
    {
        var context = invocation.HttpContext;
        var auth = context.RequestServices.GetRequiredService<GatewayAuthenticator>();
        if (await auth.RequireMasterAsync(context.Request, context.RequestAborted) is { } error)
        {
            await ErrorWriter.WriteAsync(context, error, ClientFormat.OpenAi);
            return Results.Empty;
        }

        return await next(invocation);
    });
}
