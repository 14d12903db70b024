using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AppHost;

/// <summary>What a newcomer needs once the admin is up: its address and how to read the master key (never the key itself).</summary>
internal static class FirstRunHint
{
    public const string MasterKeyHint =
        "sign in with the master key: `dotnet user-secrets list --project LlmGateway.AppHost` shows it as Parameters:master-key " +
        "(or reveal the master-key parameter in the dashboard)";

    public static IResourceBuilder<ProjectResource> WithFirstRunHint(this IResourceBuilder<ProjectResource> admin) =>
        admin.ApplicationBuilder.ExecutionContext.IsPublishMode
            ? admin
            : admin.OnResourceReady((resource, ready, _) =>
            {
                var endpoint = resource.GetEndpoints().FirstOrDefault(e => e.EndpointName == "https" && e.IsAllocated)
                    ?? resource.GetEndpoint("http");
                ready.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LlmGateway.AppHost")
                    .LogInformation("Admin site: {AdminUrl} — {Hint}", endpoint.Url, MasterKeyHint);
                return Task.CompletedTask;
            });
}
