using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;

namespace LlmGateway.Api.Routing;

/// <summary>
/// One attempt's hold on a deployment: its rpm slot and half-open probe lock, its in-flight count, and the outcome the
/// router learns from it. Disposing a lease whose attempt reported nothing (the client left) releases what it took.
/// </summary>
public sealed class DeploymentLease : IAsyncDisposable
{
    private readonly DeploymentRouter router;
    private readonly IDisposable? busy;
    private bool reported;

    internal DeploymentLease(DeploymentRouter router, RouteCandidate candidate, SkipReason? refused)
    {
        this.router = router;
        Candidate = candidate;
        Refused = refused;
        busy = refused is null ? router.Track(candidate.Deployment) : null;
        reported = refused is not null;
    }

    public RouteCandidate Candidate { get; }

    /// <summary>Why the deployment cannot be tried now (at capacity, cooling down); null when the lease is held.</summary>
    public SkipReason? Refused { get; }

    /// <summary>It answered with a success status: a half-open deployment is back before its body is relayed.</summary>
    public Task AnsweredAsync() => router.AnsweredAsync(Candidate);

    public Task SucceededAsync(TimeSpan firstByte, TokenUsage? usage)
    {
        reported = true;
        return router.RecordSuccessAsync(Candidate, firstByte, usage);
    }

    public Task FailedAsync(ProviderFailure failure)
    {
        reported = true;
        return router.RecordFailureAsync(Candidate, failure);
    }

    public async ValueTask DisposeAsync()
    {
        busy?.Dispose();
        if (!reported)
        {
            await router.AbandonAsync(Candidate);
        }
    }
}
