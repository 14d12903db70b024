using LlmGateway.Api.Configuration;
using LlmGateway.Api.Health;
using LlmGateway.Api.Providers;

namespace LlmGateway.Api.Routing;

/// <summary>
/// The gateway's own ping of a deployment — the health check's one-token request (<see cref="DeploymentProber"/>), under the
/// deployment's own timeout — where a client's request cannot tell whether the deployment serves:
/// <list type="bullet">
/// <item>after a timeout the request's own length may explain (<see cref="ProviderFailure.Ambiguous"/>: a non-streamed answer
/// without a short output limit): answered, the timeout was the request's and counts against nothing; not answered, it counts
/// as every other failure, so a hung deployment still cools down. One ping per deployment at a time on a replica, its verdict
/// kept for <see cref="VerdictLife"/>: a tenant sending long requests in a loop causes at most one ping per deployment and
/// replica every 10 seconds (a few tokens each, charged to no team: <see cref="IHealthCheckSpendSink"/>);</item>
/// <item>as the half-open probe of a deployment whose cooldown ended (<see cref="PingAsync"/>): a client's request is sent
/// only once the deployment answered, so no tenant's long request holds the probe, and the deployment, away from the others.</item>
/// </list>
/// </summary>
public sealed class DeploymentPings(DeploymentProber prober, ProviderRegistry providers, TimeProvider time, ILogger<DeploymentPings> logger)
{
    /// <summary>How long a ping's verdict answers for the deployment's next ambiguous timeouts on this replica.</summary>
    public static readonly TimeSpan VerdictLife = TimeSpan.FromSeconds(10);

    private readonly Lock gate = new();
    private readonly Dictionary<string, (long Started, Task<bool> Answers)> verdicts = new(StringComparer.Ordinal);

    /// <summary>True when the deployment answers the gateway's ping (the timeout was the request's), false when it does not or cannot be pinged.</summary>
    public Task<bool> AnswersAsync(DeploymentConfig deployment)
    {
        if (!CanPing(deployment))
        {
            return Task.FromResult(false); // no model to ask (a wildcard): its timeouts count, as before
        }

        lock (gate)
        {
            if (verdicts.TryGetValue(deployment.Id, out var known)
                && (!known.Answers.IsCompleted || time.GetElapsedTime(known.Started) < VerdictLife))
            {
                return known.Answers;
            }

            var answers = Task.Run(async () => await PingAsync(deployment) is { Healthy: true });
            verdicts[deployment.Id] = (time.GetTimestamp(), answers);
            return answers;
        }
    }

    /// <summary>Pings the deployment now; null when it cannot be pinged (a wildcard, a provider without chat) or the ping broke.</summary>
    public async Task<ProbeResult?> PingAsync(DeploymentConfig deployment)
    {
        if (!CanPing(deployment))
        {
            return null;
        }

        try
        {
            var result = await prober.TestAsync(deployment, CancellationToken.None);
            if (result.Healthy)
            {
                logger.LogInformation("Deployment {Deployment} ({Group}) answered the gateway's ping in {Ms:0} ms",
                    deployment.Id, deployment.ModelName, result.Latency.TotalMilliseconds);
            }
            else
            {
                logger.LogWarning("Deployment {Deployment} ({Group}) did not answer the gateway's ping: {Error}", deployment.Id, deployment.ModelName, result.Error);
            }

            return result;
        }
        catch (Exception ex)
        {
            logger.LogWarning("The gateway's ping of deployment {Deployment} ({Group}) broke: {Error}", deployment.Id, deployment.ModelName, ex.Message);
            return null;
        }
    }

    private bool CanPing(DeploymentConfig deployment) =>
        !deployment.ProviderModel.Contains('*')
        && providers.For(deployment).Supports(string.Equals(deployment.ModelInfo.Mode, "embedding", StringComparison.OrdinalIgnoreCase)
            ? Translation.UpstreamOperation.Embeddings : Translation.UpstreamOperation.Chat);
}
