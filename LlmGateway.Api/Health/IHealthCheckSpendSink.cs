using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Health;

/// <summary>
/// Where the cost of health-check probes goes. Probes are never charged to a team: the usage pipeline may register an
/// implementation that records them as the gateway's own overhead. Calls must return quickly and never throw.
/// </summary>
public interface IHealthCheckSpendSink
{
    void ProbeCompleted(DeploymentConfig deployment, TokenUsage? usage);
}

/// <summary>The default: probe usage is not recorded anywhere.</summary>
public sealed class NoHealthCheckSpend : IHealthCheckSpendSink
{
    public void ProbeCompleted(DeploymentConfig deployment, TokenUsage? usage)
    {
    }
}
