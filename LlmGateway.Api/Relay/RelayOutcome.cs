using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;

namespace LlmGateway.Api.Relay;

/// <summary>
/// How relaying one upstream answer ended: the usage it reported, whether its first byte reached the client, and the
/// failure, if any. A failure before the commit may fail over; after it, the client got an error in its own format.
/// </summary>
public sealed record RelayOutcome(TokenUsage? Usage, bool Committed, ProviderFailure? Failure, TimeSpan FirstByte)
{
    /// <summary>The client went away before the whole answer reached it: the ledger says <c>client_disconnected</c>.</summary>
    public bool ClientLeft { get; init; }
}

/// <summary>One try of one deployment: which, and which try of the request it is.</summary>
public sealed record UpstreamAttempt(Configuration.DeploymentConfig Deployment, int Number, long StartedTimestamp);
