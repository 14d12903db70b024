using LlmGateway.Api.Health;
using LlmGateway.Api.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;

// In the Api's root namespace beside AddGatewayServices, which calls it.
namespace LlmGateway.Api;

public static class RoutingServices
{
    /// <summary>The router, the shared deployment state, active health checks, and the default alert and spend hooks.</summary>
    public static IHostApplicationBuilder AddGatewayRouting(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RoutingPolicy>();
        services.AddSingleton<DeploymentStateStore>();
        services.AddSingleton<DeploymentStats>();
        services.AddSingleton<RoutingMetrics>();
        services.AddSingleton<DeploymentRouter>();
        services.AddSingleton<ResponseAffinity>();
        services.TryAddSingleton<IDeploymentAlertSink, LoggingDeploymentAlertSink>();
        services.TryAddSingleton<IHealthCheckSpendSink, NoHealthCheckSpend>();
        services.AddSingleton<DeploymentProber>();
        services.AddSingleton<DeploymentPings>();
        services.AddHostedService<DeploymentHealthChecks>();
        return builder;
    }
}
