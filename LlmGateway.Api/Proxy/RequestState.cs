using LlmGateway.Api.Auth;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Relay;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// What a client format keeps across requests (the Responses API's stored responses), around the shared pipeline: read
/// before routing, so every deployment's body — and the prompt-token estimate the budget reserves — carries the history;
/// written when an answer is complete. A request with state skips the response cache: each answer is a new response.
/// </summary>
public abstract class RequestState
{
    /// <summary>The id the client sees for this answer.</summary>
    public abstract string AnswerId { get; }

    /// <summary>The body with the stored history spliced in (the validated body when there is none), or the error to answer.</summary>
    public abstract Task<(JsonBody? Body, GatewayError? Error)> PrepareAsync(Caller caller, JsonBody body, CancellationToken cancellationToken);

    /// <summary>The deployment to try first (the one that gave the answer this request continues); known after <see cref="PrepareAsync"/>.</summary>
    public virtual string? PreferredDeploymentId => null;

    /// <summary>Where the relay hands the complete answer; null when nothing is kept.</summary>
    public abstract Func<CompletedAnswer, DeploymentConfig, Task>? KeepFor(ProxyContext proxy);
}
