using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Providers;

/// <summary>
/// A deployment's upstream URLs, built once per deployment and path instead of a <see cref="Uri"/> per request (a changed
/// deployment is a new record, so its addresses go with the old one).
/// </summary>
public static class UpstreamAddresses
{
    private static readonly ConditionalWeakTable<DeploymentConfig, ConcurrentDictionary<string, Uri>> ByDeployment = new();

    /// <summary><paramref name="path"/> under the deployment's <c>api_base</c>.</summary>
    public static Uri Of(DeploymentConfig deployment, string path) => Of(deployment, path, static (d, p) => new Uri(d.ApiBase!, p));

    /// <summary>The address <paramref name="build"/> makes for the deployment and path, cached.</summary>
    public static Uri Of(DeploymentConfig deployment, string path, Func<DeploymentConfig, string, Uri> build) =>
        ByDeployment.GetValue(deployment, static _ => new ConcurrentDictionary<string, Uri>(StringComparer.Ordinal))
            .GetOrAdd(path, static (path, state) => state.build(state.deployment, path), (deployment, build));
}
