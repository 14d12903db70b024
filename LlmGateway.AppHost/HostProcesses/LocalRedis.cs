using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.AppHost.HostProcesses;

/// <summary>A Redis server run from the machine's <c>redis-server</c>: the <c>redis</c> resource when no container runtime answers.</summary>
internal sealed class LocalRedisResource(string name, string command, string workingDirectory, int port)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"127.0.0.1:{port.ToString()}");
}

internal static class LocalRedis
{
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(
        this IDistributedApplicationBuilder builder, string name, string stateDirectory)
    {
        var redisServer = HostBinaries.FindRedisServer();
        var dataDirectory = Path.Combine(stateDirectory, "redis");
        Directory.CreateDirectory(dataDirectory);
        var port = HostBinaries.FreeTcpPort();

        var resource = new LocalRedisResource(name, redisServer, dataDirectory, port);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis($"127.0.0.1:{port},abortConnect=false,connectTimeout=2000", name: healthCheckKey);

        return builder.AddResource(resource)
            .WithArgs("--port", port.ToString(), "--bind", "127.0.0.1", "--dir", dataDirectory, "--save", "60 1", "--appendonly", "no")
            .WithEndpoint("tcp", e =>
            {
                e.Port = port;
                e.TargetPort = port;
                e.IsProxied = false;
                e.UriScheme = "tcp";
            })
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Memory")
            .ExcludeFromManifest();
    }
}
