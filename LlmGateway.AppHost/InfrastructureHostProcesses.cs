using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using LlmGateway.AppHost.HostProcesses;

namespace LlmGateway.AppHost;

internal static class InfrastructureHostProcesses
{
    /// <summary>
    /// Postgres and Redis as local processes (no container runtime needed), on free loopback ports,
    /// with their state in a git-ignored folder, shown in the dashboard with health checks.
    /// </summary>
    public static GatewayInfrastructure AddHostProcessInfrastructure(this IDistributedApplicationBuilder builder)
    {
        // Infrastructure:StateDirectory lets tests use a throwaway folder instead of the developer's.
        var stateDirectory = Path.GetFullPath(builder.Configuration["Infrastructure:StateDirectory"] is { Length: > 0 } configured
            ? configured
            : Path.Combine(builder.AppHostDirectory, ".state"));
        var postgres = builder.AddLocalPostgres("postgres", stateDirectory, database: "gatewaydb");
        var database = builder.AddConnectionString("gatewaydb",
            ReferenceExpression.Create($"{postgres.Resource.ConnectionStringExpression};Database=gatewaydb"));
        var redis = builder.AddLocalRedis("redis", stateDirectory);
        return new GatewayInfrastructure(database, redis, postgres, redis, InfrastructureMode.Processes);
    }
}
