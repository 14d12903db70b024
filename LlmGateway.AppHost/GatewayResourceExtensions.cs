using Aspire.Hosting.ApplicationModel;

namespace LlmGateway.AppHost;

internal static class GatewayResourceExtensions
{
    /// <summary>Run mode: the file's path. Publish mode: its settings as <c>Gateway__…</c> variables (a container can't read the AppHost's files).</summary>
    public static IResourceBuilder<ProjectResource> WithGatewayConfig(this IResourceBuilder<ProjectResource> api, GatewayConfigSource config)
    {
        if (!api.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            return api.WithEnvironment("Gateway__ConfigFile", config.Path);
        }

        var (variables, notCarried) = config.ToEnvironment();
        if (notCarried.Count > 0)
        {
            // Not silent: the Api has no Gateway:* variable for these yet (see docs/deploy.md).
            Console.Error.WriteLine($"warning: {Path.GetFileName(config.Path)}: not carried into the published Api (no Gateway__ variable for them): {string.Join(", ", notCarried)}");
        }

        foreach (var (name, value) in variables)
        {
            api.WithEnvironment(name, value);
        }

        return api;
    }

    /// <summary>Liveness and readiness probes (Kubernetes-style, carried into Azure Container Apps), which also gives the dashboard its health check.</summary>
    public static IResourceBuilder<ProjectResource> WithGatewayProbes(this IResourceBuilder<ProjectResource> api)
    {
#pragma warning disable ASPIREPROBES001 // evaluation API; it is what publishers read
        return api
            .WithHttpProbe(ProbeType.Liveness, "/health/liveliness")
            .WithHttpProbe(ProbeType.Readiness, "/health/readiness"); // also the dashboard's health check
#pragma warning restore ASPIREPROBES001
    }

    /// <summary>Behind Azure Container Apps' ingress (TLS ends there), trust X-Forwarded-For/-Proto; ASP.NET Core reads this variable itself.</summary>
    public static IResourceBuilder<ProjectResource> WithForwardedHeadersWhenPublished(this IResourceBuilder<ProjectResource> app) =>
        app.ApplicationBuilder.ExecutionContext.IsPublishMode
            ? app.WithEnvironment("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true")
            : app;
}
