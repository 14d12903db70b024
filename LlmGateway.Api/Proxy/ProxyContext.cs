using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Proxy;

/// <summary>One proxied request: who asked for what, where it went, and what it used.</summary>
public sealed class ProxyContext(HttpContext http, ClientFormat format, ModelGroup group, RequestTimings timings)
{
    public HttpContext Http { get; } = http;
    public ClientFormat Format { get; } = format;
    public ModelGroup Group { get; } = group;
    public RequestTimings Timings { get; } = timings;
    public string RequestId => Http.TraceIdentifier;
    public DeploymentConfig? Deployment { get; set; }
    public int Attempts { get; set; }
    public TokenUsage? Usage { get; set; }
    /// <summary>True once the first byte of the response body was sent: from then on, no failover and no status change.</summary>
    public bool Committed => Http.Response.HasStarted;
    public ProviderFailure? MidStreamFailure { get; set; }
    /// <summary>The failure of the last attempt that failed, when none succeeded.</summary>
    public ProviderFailure? LastFailure { get; set; }
    /// <summary>Prices usage on a deployment, for <c>x-gateway-cost-usd</c>; null when the price is unknown.</summary>
    public Func<DeploymentConfig, TokenUsage, decimal?>? CostOf { get; init; }
    /// <summary>Answered from the response cache: costs nothing; <see cref="SavedCost"/> is what the original cost.</summary>
    public bool CacheHit { get; set; }
    public decimal SavedCost { get; set; }
    /// <summary>Stopwatch timestamp when the current upstream attempt started.</summary>
    public long UpstreamStarted { get; set; }
}
