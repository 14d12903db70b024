using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Tests.Infrastructure;

internal static class ServiceProviderExtensions
{
    public static string GetRequiredConnectionString(this IServiceProvider services, string name = "gatewaydb") =>
        services.GetRequiredService<IConfiguration>().GetConnectionString(name)
        ?? throw new InvalidOperationException($"No connection string {name}");
}
