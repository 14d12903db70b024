using System.Diagnostics.Metrics;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Providers;

namespace LlmGateway.Api.Routing;

/// <summary>The router's metrics on the gateway meter; labels stay bounded (configured groups and deployments, failure classes).</summary>
public sealed class RoutingMetrics
{
    private readonly Counter<long> failovers;
    private readonly Counter<long> cooldowns;

    public RoutingMetrics(ModelCatalog catalog, DeploymentStateStore store)
    {
        var meter = GatewayTelemetry.Meter;
        failovers = meter.CreateCounter<long>("llmgateway.failovers", "{failover}", "Attempts that failed before the first byte and moved on to another deployment.");
        cooldowns = meter.CreateCounter<long>("llmgateway.cooldowns", "{cooldown}", "Deployments put in cooldown.");
        meter.CreateObservableGauge("llmgateway.deployment.healthy", () => catalog.Groups.SelectMany(g => g.Deployments).Select(d =>
            {
                var state = store.Local(d.Id);
                var now = store.Now;
                return new Measurement<int>(state.IsCoolingDown(now) || state.IsUnhealthy(now) ? 0 : 1,
                    new KeyValuePair<string, object?>("llmgateway.deployment", d.Id),
                    new KeyValuePair<string, object?>("llmgateway.model_group", d.ModelName));
            }),
            "{deployment}", "1 when the deployment is in routing, 0 while it cools down or fails its health checks.");
    }

    public void Failover(string group, ProviderFailure failure) =>
        failovers.Add(1, new("llmgateway.model_group", group), new("error.type", ErrorClass(failure.Kind)));

    public void Cooldown(DeploymentConfig deployment, ProviderFailure failure) =>
        cooldowns.Add(1, new("llmgateway.model_group", deployment.ModelName), new("llmgateway.deployment", deployment.Id),
            new("error.type", ErrorClass(failure.Kind)));

    /// <summary>The low-cardinality name of a failure class (span <c>error.type</c>, metric label).</summary>
    public static string ErrorClass(FailureKind kind) => kind switch
    {
        FailureKind.RateLimited => "rate_limited",
        FailureKind.Overloaded => "overloaded",
        FailureKind.ServerError => "server_error",
        FailureKind.Timeout => "timeout",
        FailureKind.ConnectionFailed => "connection_failed",
        FailureKind.ConnectionReset => "connection_reset",
        FailureKind.EmptyStream => "empty_stream",
        FailureKind.ContextLengthExceeded => "context_length_exceeded",
        FailureKind.BadRequest => "bad_request",
        FailureKind.AuthenticationFailed => "authentication_failed",
        FailureKind.PermissionDenied => "permission_denied",
        FailureKind.NotFound => "not_found",
        FailureKind.KeyRevoked => "key_revoked",
        _ => "other",
    };
}
