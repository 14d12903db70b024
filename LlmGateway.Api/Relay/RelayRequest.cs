using System.Diagnostics;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Relay;

/// <summary>What the relay needs for one upstream answer, and how it reports the commit and the outcome.</summary>
public sealed class RelayRequest(
    ProxyContext proxy, UpstreamAttempt attempt, HttpResponseMessage upstream, ResponseTranslation translation, ClientDisconnect disconnect)
{
    private TimeSpan firstByte;

    public ProxyContext Proxy => proxy;
    public UpstreamAttempt Attempt => attempt;
    public HttpResponseMessage Upstream => upstream;
    public ResponseTranslation Translation => translation;

    /// <summary>The attempt's read token under the disconnect policy, and the estimate of unreported usage.</summary>
    public ClientDisconnect Disconnect => disconnect;

    /// <summary>How long any read may wait for the next bytes.</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>What is left of the deployment's <c>ttfb_timeout</c> for the first byte of the body, when it has one.</summary>
    public TimeSpan? FirstByte { get; init; }

    /// <summary>The price of a usage on this deployment; null when unknown.</summary>
    public Func<TokenUsage, decimal?>? CostOf { get; init; }

    /// <summary>Receives a complete answer before its last byte goes out (the response cache).</summary>
    public Func<CompletedAnswer, Task>? Capture { get; init; }

    /// <summary>Sets the status and the gateway's headers; nothing is sent until the first write.</summary>
    public void Commit(bool stream, decimal? cost)
    {
        firstByte = Stopwatch.GetElapsedTime(attempt.StartedTimestamp);
        proxy.Timings.UpstreamFirstByte = firstByte;
        ClientResponse.Start(proxy, attempt, stream, cost);
    }

    public RelayOutcome Fail(ProviderFailure failure, bool committed) => new(translation.Usage, committed, failure, firstByte) { ClientLeft = disconnect.Left };

    public RelayOutcome Done(TokenUsage? usage, ProviderFailure? failure) => new(usage, true, failure, firstByte) { ClientLeft = disconnect.Left };

    /// <summary>The client left: no failure of the provider's, and nothing to fail over.</summary>
    public RelayOutcome Left(TokenUsage? usage, bool committed) => new(usage, committed, null, firstByte) { ClientLeft = true };
}
