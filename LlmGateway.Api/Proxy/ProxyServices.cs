using LlmGateway.Api.Auth;
using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Proxy;

/// <summary>What every proxy route handler needs, grouped for <c>[AsParameters]</c>.</summary>
public sealed class ProxyServices(GatewayAuthenticator auth, ModelCatalog catalog, ChatProxy proxy, ProxyOptions options)
{
    public GatewayAuthenticator Auth { get; } = auth;
    public ModelCatalog Catalog { get; } = catalog;
    public ChatProxy Proxy { get; } = proxy;
    public ProxyOptions Options { get; } = options;
}

/// <summary>Request limits of the proxy routes (section <c>Gateway</c>).</summary>
public sealed class ProxyOptions
{
    /// <summary>Bodies over this are refused with 413 before they are read (default 10 MiB).</summary>
    public long MaxRequestBodyBytes { get; set; } = 10 * 1024 * 1024;
}
