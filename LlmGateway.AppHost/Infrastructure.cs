using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace LlmGateway.AppHost;

/// <summary>The connection-string resources the Api references, and the resources it must wait for.</summary>
internal sealed record GatewayInfrastructure(
    IResourceBuilder<IResourceWithConnectionString> Database,
    IResourceBuilder<IResourceWithConnectionString> Redis,
    IResourceBuilder<IResource> DatabaseServer,
    IResourceBuilder<IResource> RedisServer,
    InfrastructureMode Mode);

internal static class InfrastructureExtensions
{
    public static GatewayInfrastructure AddGatewayInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var mode = InfrastructureModeResolver.Resolve(builder);
        return mode switch
        {
            InfrastructureMode.Containers => builder.AddContainerInfrastructure(),
            InfrastructureMode.Existing => builder.AddExistingInfrastructure(),
            _ => builder.AddHostProcessInfrastructure(),
        };
    }
}
