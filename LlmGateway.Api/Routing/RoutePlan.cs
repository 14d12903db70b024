using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Routing;

/// <summary>One deployment to try. A probe must win the half-open lock first; a last resort is tried although it is cooling down.</summary>
public sealed record RouteCandidate(DeploymentConfig Deployment, bool IsProbe, bool IsLastResort = false);

/// <summary>Why a deployment was left out without being tried.</summary>
public enum SkipReason
{
    /// <summary>At its rpm or tpm for this minute.</summary>
    AtCapacity,
    /// <summary><c>model_info.max_input_tokens</c> is below the prompt estimate.</summary>
    ContextWindow,
    /// <summary><c>model_info</c> says it lacks vision or tools, which the request uses.</summary>
    Capability,
    /// <summary>Its <c>mode</c> or provider does not serve this operation.</summary>
    Unsupported,
    /// <summary>Cooling down, unhealthy, or another request holds its half-open probe.</summary>
    Unavailable,
}

public sealed record SkippedDeployment(DeploymentConfig Deployment, SkipReason Reason, string Detail);

/// <summary>The deployments of a model group in the order to try them, and those left out.</summary>
public sealed record RoutePlan(ModelGroup Group, IReadOnlyList<RouteCandidate> Candidates, IReadOnlyList<SkippedDeployment> Skipped, TimeSpan? RetryAfter);
