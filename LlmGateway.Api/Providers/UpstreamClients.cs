using System.Collections.Concurrent;
using System.Net;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Providers.Mock;

namespace LlmGateway.Api.Providers;

/// <summary>
/// One pooled <see cref="SocketsHttpHandler"/> per upstream origin, shared by every request to it (never an
/// HttpClient per request). No resilience handler sits in this chain: timeouts and failover are the proxy's,
/// so a long stream is never cut by a total timeout.
/// </summary>
public sealed class UpstreamClients : IDisposable
{
    private readonly ConcurrentDictionary<string, HttpMessageInvoker> invokers = new(StringComparer.OrdinalIgnoreCase);
    private readonly HttpMessageInvoker mock = new(new MockHandler(), disposeHandler: true);

    public HttpMessageInvoker For(DeploymentConfig deployment)
    {
        if (deployment.Provider == ProviderKind.Mock)
        {
            return mock;
        }

        var origin = deployment.ApiBase?.GetLeftPart(UriPartial.Authority) ?? "";
        return invokers.GetOrAdd(origin, static _ => new HttpMessageInvoker(CreateHandler(), disposeHandler: true));
    }

    private static SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5), // pick up DNS changes of provider endpoints
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        AutomaticDecompression = DecompressionMethods.None,
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        EnableMultipleHttp2Connections = true,
        MaxResponseHeadersLength = 256,
    };

    public void Dispose()
    {
        foreach (var invoker in invokers.Values)
        {
            invoker.Dispose();
        }

        mock.Dispose();
    }
}
