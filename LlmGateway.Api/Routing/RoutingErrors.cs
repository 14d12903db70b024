using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;

namespace LlmGateway.Api.Routing;

/// <summary>What the client reads when routing ends without an answer: the group, and what each attempt got.</summary>
public static class RoutingErrors
{
    private const int MaxMessageChars = 160;

    /// <summary>One attempt's outcome in a few words, e.g. <c>HTTP 503 Overloaded</c> or <c>timeout (…)</c>.</summary>
    public static string Describe(ProviderFailure failure)
    {
        var message = failure.Message.Length > MaxMessageChars ? failure.Message[..MaxMessageChars] + "…" : failure.Message;
        return failure.Kind switch
        {
            FailureKind.Timeout => $"timeout ({message})",
            FailureKind.ConnectionFailed or FailureKind.ConnectionReset or FailureKind.EmptyStream => message,
            _ => $"HTTP {failure.StatusCode} {message}",
        };
    }

    /// <summary>
    /// One attempt's outcome without the provider's words, e.g. <c>HTTP 500 server_error</c>: what the deployment's shared
    /// state keeps and <c>/model/info</c> shows to operators. A provider's message can quote the request (a vLLM 500 naming
    /// the prompt it choked on), and that state outlives the request and is read by other people
    /// (LeakAndCrossTenantAttackTests). The gateway's own words (a timeout, a refused connection) are kept.
    /// </summary>
    public static string Classify(ProviderFailure failure) => failure.Kind switch
    {
        FailureKind.Timeout or FailureKind.ConnectionFailed or FailureKind.ConnectionReset or FailureKind.EmptyStream => Describe(failure),
        _ => $"HTTP {failure.StatusCode}{(ErrorCode(failure.ErrorType) is { } type ? " " + type : "")}",
    };

    /// <summary>A provider's error type or code when it looks like one (<c>invalid_api_key</c>, <c>server_error</c>), else null.</summary>
    public static string? ErrorCode(string? type) =>
        type is { Length: > 0 and <= 64 } && type.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') ? type : null;

    /// <summary>503 with <c>Retry-After</c>: every deployment tried failed with a retryable failure.</summary>
    public static GatewayError AllFailed(IReadOnlyList<string> groups, IReadOnlyList<(DeploymentConfig Deployment, ProviderFailure Failure)> attempts, TimeSpan retryAfter)
    {
        var details = string.Join("; ", attempts.Select(a => $"{DeploymentRouter.ProviderName(a.Deployment)} → {Describe(a.Failure)}"));
        var count = attempts.Count == 1 ? "1 attempt" : $"{attempts.Count} attempts";
        return new GatewayError(StatusCodes.Status503ServiceUnavailable, "service_unavailable",
            $"Every deployment of {Name(groups)} failed ({count}): {details}.", null, "upstream_unavailable")
        {
            RetryAfterSeconds = Seconds(retryAfter),
        };
    }

    /// <summary>503: every deployment is cooling down and another request is already probing the one tried last.</summary>
    public static GatewayError AllCoolingDown(IReadOnlyList<string> groups, IReadOnlyList<SkippedDeployment> skipped, TimeSpan retryAfter) =>
        new(StatusCodes.Status503ServiceUnavailable, "service_unavailable",
            $"Every deployment of {Name(groups)} is unavailable right now: "
            + string.Join("; ", skipped.Select(s => $"{DeploymentRouter.ProviderName(s.Deployment)} → {s.Detail}")) + ".", null, "upstream_unavailable")
        {
            RetryAfterSeconds = Seconds(retryAfter),
        };

    /// <summary>The attempt failed after the provider may have billed it, on a deployment marked <c>no_retry_when_possibly_billed</c>.</summary>
    public static GatewayError NotRetried(string group, DeploymentConfig deployment, ProviderFailure failure) =>
        new(failure.Kind == FailureKind.Timeout ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status502BadGateway, "upstream_error",
            $"Deployment {DeploymentRouter.ProviderName(deployment)} of model group '{group}' failed after the request was sent "
            + $"({Describe(failure)}); it is marked no_retry_when_possibly_billed, so the request was not retried because the provider may have billed it.",
            null, "upstream_possibly_billed");

    public static GatewayError AtCapacity(string group, TimeSpan retryAfter) =>
        new(StatusCodes.Status429TooManyRequests, "rate_limit_exceeded",
            $"Every deployment of model group '{group}' is at its rpm/tpm capacity for this minute.", null, "deployment_capacity")
        {
            RetryAfterSeconds = Seconds(retryAfter),
        };

    public static GatewayError ContextWindow(string group, IReadOnlyList<SkippedDeployment> skipped) =>
        new(StatusCodes.Status400BadRequest, "invalid_request_error",
            $"The prompt is too long for every deployment of model group '{group}' ({skipped.First(s => s.Reason == SkipReason.ContextWindow).Detail}) "
            + "and no context_window_fallbacks group could take it.", "messages", "context_length_exceeded");

    public static GatewayError Capability(string group, IReadOnlyList<SkippedDeployment> skipped) =>
        new(StatusCodes.Status400BadRequest, "invalid_request_error",
            $"No deployment of model group '{group}' supports {string.Join(" and ", skipped.Where(s => s.Reason == SkipReason.Capability).Select(s => s.Detail).Distinct())}, which the request uses.",
            null, "unsupported_capability");

    public static GatewayError Unsupported(string group, string operation) =>
        GatewayError.InvalidRequest($"No deployment of model group '{group}' supports {operation}.", "model", "unsupported_operation");

    private static string Name(IReadOnlyList<string> groups) => groups.Count == 1
        ? $"model group '{groups[0]}'"
        : $"model group '{groups[0]}' and its fallbacks {string.Join(", ", groups.Skip(1).Select(g => $"'{g}'"))}";

    private static int Seconds(TimeSpan wait) => (int)Math.Ceiling(Math.Max(1, wait.TotalSeconds));
}
