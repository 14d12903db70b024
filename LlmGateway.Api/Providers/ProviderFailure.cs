namespace LlmGateway.Api.Providers;

/// <summary>Why an upstream attempt failed. The router decides failover from this class, never from exceptions.</summary>
public enum FailureKind
{
    RateLimited,
    Overloaded,
    ServerError,
    /// <summary>No response headers (or first byte) within the deployment's limit.</summary>
    Timeout,
    /// <summary>The connection could not be made: the request never reached the provider.</summary>
    ConnectionFailed,
    /// <summary>The connection broke after the request was sent: the provider may have billed it.</summary>
    ConnectionReset,
    /// <summary>200 with a stream that ended before any event.</summary>
    EmptyStream,
    ContextLengthExceeded,
    BadRequest,
    AuthenticationFailed,
    PermissionDenied,
    NotFound,
    /// <summary>Not the provider's: the caller's key was blocked or deleted mid-request, and the gateway cut it off.</summary>
    KeyRevoked,
}

/// <summary>A classified upstream failure, with the provider's own message passed on.</summary>
public sealed record ProviderFailure(FailureKind Kind, int StatusCode, string Message, string? ErrorType = null)
{
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>A 429 about this one request (e.g. more tokens than a minute allows), not the deployment's capacity: no cooldown.</summary>
    public bool RequestLevel { get; init; }

    /// <summary>The provider sent nothing at all (no headers): only then does a timeout count against the deployment.</summary>
    public bool NothingReceived { get; init; }

    /// <summary>
    /// A timeout the request's own length may explain: a non-streamed answer's headers come once it is all written, and this
    /// request set no output limit, or one longer than the timeout allows. The deployment may be hung or merely writing: the
    /// gateway's own ping decides whether it counts (<see cref="Routing.DeploymentPings"/>).
    /// </summary>
    public bool Ambiguous { get; init; }

    /// <summary>Worth trying another deployment: the provider, not the request, is at fault.</summary>
    public bool IsRetryable => Kind is FailureKind.RateLimited or FailureKind.Overloaded or FailureKind.ServerError
        or FailureKind.Timeout or FailureKind.ConnectionFailed or FailureKind.ConnectionReset or FailureKind.EmptyStream;

    /// <summary>The provider may already have done (and billed) the work.</summary>
    public bool PossiblyBilled => Kind is FailureKind.ConnectionReset or FailureKind.Timeout
        || StatusCode is 502 or 504;

    public static FailureKind FromStatus(int status, string message) => status switch
    {
        429 => FailureKind.RateLimited,
        503 or 529 => FailureKind.Overloaded,
        408 => FailureKind.Timeout,
        401 => FailureKind.AuthenticationFailed,
        403 => FailureKind.PermissionDenied,
        404 => FailureKind.NotFound,
        >= 500 => FailureKind.ServerError,
        _ when IsContextLength(message) => FailureKind.ContextLengthExceeded,
        _ => FailureKind.BadRequest,
    };

    private static bool IsContextLength(string message) =>
        message.Contains("context length", StringComparison.OrdinalIgnoreCase)
        || message.Contains("context_length", StringComparison.OrdinalIgnoreCase)
        || message.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase)
        || message.Contains("too many tokens", StringComparison.OrdinalIgnoreCase);
}
