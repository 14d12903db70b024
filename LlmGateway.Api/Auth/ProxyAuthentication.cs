using LlmGateway.Api.Contracts;
using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Auth;

/// <summary>Authenticates a proxy request once, for everything after it (content capture, the pipeline).</summary>
public sealed class ProxyAuthentication(GatewayAuthenticator auth) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var pending = auth.AuthenticateAsync(http.Request, http.RequestAborted);
        if (!pending.IsCompletedSuccessfully)
        {
            return AuthenticateThenAsync(pending, context, next);
        }

        // A key the cache knows: no state machine on the hot path, the next filter's task is returned as it is.
        Authenticated(http, pending.Result);
        return next(context);
    }

    private static async ValueTask<object?> AuthenticateThenAsync(
        ValueTask<(Caller? Caller, GatewayError? Error)> pending, EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        try
        {
            Authenticated(http, await pending);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The pipeline still records the request (499): every request has its ledger row.
            http.Features.Set(Authentication.ClientLeft);
            RequestTimings.Of(http).EndAuth();
        }

        return await next(context);
    }

    private static void Authenticated(HttpContext http, (Caller? Caller, GatewayError? Error) result)
    {
        http.Features.Set(new Authentication(result.Caller, result.Error));
        RequestTimings.Of(http).EndAuth();
    }
}

/// <summary>Who the proxy request's caller is, or why it was refused (401).</summary>
public sealed record Authentication(Caller? Caller, GatewayError? Error)
{
    /// <summary>The client went away while its key was being checked.</summary>
    public static Authentication ClientLeft { get; } = new(null, null);
}
