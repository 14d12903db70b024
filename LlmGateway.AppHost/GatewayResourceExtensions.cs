using Aspire.Hosting.ApplicationModel;

namespace LlmGateway.AppHost;

internal static class GatewayResourceExtensions
{
    /// <summary>
    /// Run mode: the file's path. Publish mode: the file's whole text as <c>Gateway__ConfigYaml</c> (a container can't
    /// read the AppHost's files); a credential written in it as a literal stops publishing rather than enter the manifest.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithGatewayConfig(this IResourceBuilder<ProjectResource> api, GatewayConfigSource config)
    {
        if (!api.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            return api.WithEnvironment("Gateway__ConfigFile", config.Path);
        }

        if (config.LiteralSecrets() is { Count: > 0 } literals)
        {
            throw new DistributedApplicationException(
                $"{Path.GetFileName(config.Path)}: a literal credential at {string.Join(", ", literals)} would be written into the manifest. " +
                "Write it as \"os.environ/NAME\": the AppHost then declares NAME as a secret parameter and the Api reads it from the environment.");
        }

        // The manifest reads "{resource.value}" as an expression and "{{"/"}}" as literal braces (azd unescapes them);
        // Aspire 13.6 writes a plain value as it is, so a flow mapping such as fallbacks: [{"a": ["b"]}] is escaped here.
        return api.WithEnvironment("Gateway__ConfigYaml", config.Text.Replace("{", "{{").Replace("}", "}}"));
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
