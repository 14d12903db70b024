using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Routing;

/// <summary>How trying one model group ended.</summary>
internal enum OutcomeKind
{
    Done,
    /// <summary>Every deployment tried failed retryably (or none was available): the group's fallbacks may answer.</summary>
    Exhausted,
    /// <summary>The error goes to the client as it is: no fallback helps.</summary>
    Final,
    /// <summary>The prompt is too long for the group: its context_window_fallbacks may take it.</summary>
    ContextWindow,
}

internal sealed record GroupOutcome(OutcomeKind Kind, GatewayError? Error = null, bool CanRetry = false, TimeSpan? RetryAfter = null)
{
    public static GroupOutcome Done { get; } = new(OutcomeKind.Done);

    public static GroupOutcome Failed(GatewayError error) => new(OutcomeKind.Final, error);
}
