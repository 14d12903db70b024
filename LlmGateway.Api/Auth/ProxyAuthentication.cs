using LlmGateway.Api.Contracts;
using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Auth;

/// <summary>Authenticates a proxy request once, for everything after it (content capture, the pipeline).</summary>
public sealed class ProxyAuthentication(GatewayAuthenticator auth) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        try
        {
            var (caller, error) = await auth.AuthenticateAsync(http.Request, http.RequestAborted);
            http.Features.Set(new Authentication(caller, error));
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The pipeline still records the request (499): every request has its ledger row.
            http.Features.Set(Authentication.ClientLeft);
        }

        RequestTimings.Of(http).EndAuth();
        return await next(context);
    }
}

/// <summary>Who the proxy request's caller is, or why it was refused (401).</summary>
public sealed record Authentication(Caller? Caller, GatewayError? Error)
{
    /// <summary>The client went away while its key was being checked.</summary>
    public static Authentication ClientLeft { get; } = new(null, null);
}
