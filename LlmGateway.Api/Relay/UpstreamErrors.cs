using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;

namespace LlmGateway.Api.Relay;

/// <summary>Turns a classified upstream failure into what the client sees, keeping the status class and the provider's message.</summary>
public static class UpstreamErrors
{
    /// <param name="sameFormat">An Anthropic client of an Anthropic deployment: the provider's refusal is passed on verbatim.</param>
    public static GatewayError ToClientError(ProviderFailure failure, string group, int attempts, bool sameFormat = false)
    {
        if (sameFormat && failure.StatusCode is 400 or 404 or 413 or 422)
        {
            // Clients key their recovery on the provider's own type and text (Claude Code compacts on "prompt is too long").
            return new GatewayError(failure.StatusCode, "invalid_request_error", failure.Message) { AnthropicType = failure.ErrorType };
        }

        if (failure.Kind == FailureKind.KeyRevoked)
        {
            return Revoked;
        }

        if (failure.Kind is FailureKind.AuthenticationFailed or FailureKind.PermissionDenied)
        {
            // The gateway's own provider credential was refused: not the client's fault, and the provider's text (which
            // may name or mask that credential) is for the operator only — logged by the failover, and in GET /health.
            return new GatewayError(StatusCodes.Status502BadGateway, "upstream_auth_error",
                $"The provider refused the gateway's credentials for model group '{group}' (HTTP {failure.StatusCode}). "
                + "This is a gateway configuration problem; an operator can see the details in the gateway's logs and GET /health.",
                null, "upstream_auth_error")
            { AnthropicType = "api_error" };
        }

        if (!failure.IsRetryable)
        {
            // The request itself was refused: pass the provider's status and message on.
            var code = failure.Kind switch
            {
                FailureKind.NotFound => "upstream_not_found",
                FailureKind.ContextLengthExceeded => "context_length_exceeded",
                _ => null,
            };
            return new GatewayError(failure.StatusCode, "invalid_request_error", $"The provider rejected the request for model group '{group}': {failure.Message}", null, code);
        }

        var (statusCode, errorType) = failure.Kind switch
        {
            FailureKind.Timeout => (StatusCodes.Status504GatewayTimeout, "timeout"),
            FailureKind.RateLimited or FailureKind.Overloaded => (StatusCodes.Status503ServiceUnavailable, "service_unavailable"),
            _ => (StatusCodes.Status502BadGateway, "upstream_error"),
        };
        var tried = attempts == 1 ? "1 deployment was tried" : $"{attempts} deployments were tried";
        return new GatewayError(statusCode, errorType,
            $"Every deployment of model group '{group}' failed ({tried}); last: {Describe(failure).TrimEnd('.')}.", null, "upstream_unavailable")
        {
            RetryAfterSeconds = failure.RetryAfter is { } retry ? (int)Math.Ceiling(Math.Max(1, retry.TotalSeconds)) : (statusCode == 503 ? 1 : null),
        };
    }

    public static string Describe(ProviderFailure failure) => failure.StatusCode > 0 && failure.Kind is not (FailureKind.Timeout or FailureKind.ConnectionFailed or FailureKind.ConnectionReset or FailureKind.EmptyStream)
        ? $"HTTP {failure.StatusCode} {failure.Message}"
        : failure.Message;

    /// <summary>What the client gets when its key, team or user is blocked or deleted while its request is in flight.</summary>
    public static GatewayError Revoked { get; } = new(StatusCodes.Status401Unauthorized, "invalid_request_error",
        "The API key was blocked or deleted (or its team or user was) while this request was in flight.", null, "key_revoked");

    /// <summary>The event sent when a stream breaks after its first byte.</summary>
    public static GatewayError MidStream(string message) =>
        new(StatusCodes.Status502BadGateway, "upstream_error", $"The upstream stream broke after it started: {message}", null, "stream_interrupted");
}
