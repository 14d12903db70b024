using LlmGateway.Api.Configuration;
using LlmGateway.Api.Health;
using LlmGateway.Api.Providers;

namespace LlmGateway.Api.Routing;

/// <summary>
/// Judges a timeout the request's own length may explain (<see cref="ProviderFailure.Ambiguous"/>: a non-streamed answer
/// without a short output limit) by the gateway's own ping of the deployment — the health check's one-token request
/// (<see cref="DeploymentProber"/>), under the deployment's own timeout. Answered: the deployment is serving, the timeout was
/// the request's, and nothing is counted against the deployment. Not answered: the timeout counts as every other failure,
/// so a hung deployment still cools down. One ping per deployment at a time on a replica, and its verdict is kept for
/// <see cref="VerdictLife"/>: a tenant sending long requests in a loop causes at most one ping per deployment and replica
/// every 10 seconds (each a few tokens, recorded as health-check usage).
/// </summary>
public sealed class AmbiguousTimeouts(DeploymentProber prober, TimeProvider time, ILogger<AmbiguousTimeouts> logger)
{
    /// <summary>How long a ping's verdict answers for the deployment's next ambiguous timeouts on this replica.</summary>
    public static readonly TimeSpan VerdictLife = TimeSpan.FromSeconds(10);

    private readonly Lock gate = new();
    private readonly Dictionary<string, (long Started, Task<bool> Answers)> verdicts = new(StringComparer.Ordinal);

    /// <summary>True when the deployment answers the gateway's ping (the timeout was the request's), false when it does not.</summary>
    public Task<bool> AnswersAsync(DeploymentConfig deployment)
    {
        if (deployment.ProviderModel.Contains('*'))
        {
            return Task.FromResult(false); // a wildcard has no model to ask: its timeouts count, as before
        }

        lock (gate)
        {
            if (verdicts.TryGetValue(deployment.Id, out var known)
                && (!known.Answers.IsCompleted || time.GetElapsedTime(known.Started) < VerdictLife))
            {
                return known.Answers;
            }

            var answers = Task.Run(() => PingAsync(deployment));
            verdicts[deployment.Id] = (time.GetTimestamp(), answers);
            return answers;
        }
    }

    private async Task<bool> PingAsync(DeploymentConfig deployment)
    {
        try
        {
            var result = await prober.TestAsync(deployment, CancellationToken.None);
            if (result.Healthy)
            {
                logger.LogInformation(
                    "Deployment {Deployment} ({Group}) answered the gateway's ping in {Ms:0} ms after a request timed out waiting for a long answer: the timeout is the request's, not counted",
                    deployment.Id, deployment.ModelName, result.Latency.TotalMilliseconds);
                return true;
            }

            logger.LogWarning("Deployment {Deployment} ({Group}) did not answer the gateway's ping after a request timed out: {Error}",
                deployment.Id, deployment.ModelName, result.Error);
            return false;
        }
        catch (Exception ex)
        {
            logger.LogWarning("The gateway's ping of deployment {Deployment} ({Group}) failed: {Error}", deployment.Id, deployment.ModelName, ex.Message);
            return false;
        }
    }
}
