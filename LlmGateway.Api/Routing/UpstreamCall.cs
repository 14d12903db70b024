using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Routing;

/// <summary>One request on its way upstream: what to route, how to build each deployment's body, how to relay the answer.</summary>
public sealed record UpstreamCall(RouteRequest Route, UpstreamRequestBuilder Bodies, bool Stream, StreamEncoderOptions Encoding)
{
    /// <summary>Receives a complete answer before its last byte goes out (the response cache), with the deployment that gave it.</summary>
    public Func<CompletedAnswer, DeploymentConfig, Task>? Capture { get; init; }

    /// <summary>The caller is under a budget: a deployment without a known price is refused (Gateway:Pricing:UnknownPrice), fallbacks included.</summary>
    public bool PricedOnly { get; init; }
}

/// <summary>
/// What the upstream part of a request ended as, for settling, the ledger and metrics: the last deployment tried, how
/// many tries, the usage, and the failure (before the first byte, when nothing succeeded; or after it, mid-stream).
/// </summary>
public sealed record ProxyOutcome(DeploymentConfig? Deployment, int Attempts, TokenUsage? Usage, ProviderFailure? Failure, bool Committed)
{
    public static ProxyOutcome None { get; } = new(null, 0, null, null, false);

    public bool CacheHit { get; init; }

    /// <summary>For a cache hit: what the original answer cost.</summary>
    public decimal SavedCost { get; init; }

    public bool BrokeMidStream => Failure is not null && Committed;

    /// <summary>The client went away before the whole answer reached it (billed all the same: the provider's usage, else an estimate).</summary>
    public bool ClientLeft { get; init; }

    /// <summary>
    /// What earlier attempts of this request were billed although they failed over (a timeout after the request was sent:
    /// the provider had the prompt): added to this attempt's cost and tokens at settle and in the ledger.
    /// </summary>
    public EarlierAttempts Earlier { get; init; }

    /// <summary>A fan-out's cost: each of its calls priced at its own deployment, summed (null: priced at <see cref="Deployment"/>).</summary>
    public decimal? CallsCost { get; init; }
}

/// <summary>The cost and tokens of the attempts before the last one that the providers may have billed.</summary>
public readonly record struct EarlierAttempts(decimal Cost, long Tokens);

/// <summary>What trying the deployments of a request has found so far.</summary>
internal sealed class FailoverRun(UpstreamCall call, UpstreamHeaders headers)
{
    public UpstreamCall Call { get; } = call;
    public UpstreamHeaders Headers { get; } = headers;
    public List<string> Groups { get; } = [];
    public List<(DeploymentConfig Deployment, ProviderFailure Failure)> Failures { get; } = [];
    public int Attempts { get; set; }
    public ProxyOutcome Outcome { get; set; } = ProxyOutcome.None;
    public bool Committed => Outcome.Committed;
    /// <summary>The billed work of the attempts that failed over so far (<see cref="ProxyOutcome.Earlier"/>).</summary>
    public EarlierAttempts Earlier { get; set; }
}
