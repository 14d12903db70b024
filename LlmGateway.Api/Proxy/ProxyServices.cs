using LlmGateway.Api.Auth;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Spend;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Proxy;

/// <summary>What every proxy route handler needs: one singleton, injected whole (not <c>[AsParameters]</c>, which would build one per request).</summary>
public sealed class ProxyServices(
    GatewayAuthenticator auth, ModelCatalog catalog, Routing.Failover failover, GatewayConfig config, ProxyOptions options,
    LimitsGate limits, CostEstimator costs, PriceTable prices, IUsageRecorder usage, ILogger<ProxyServices> logger,
    Caching.ResponseCache cache, UnknownPricePolicy unknownPrices, Customers.CustomerDirectory customers, Tags.RequestTagging tags,
    Shutdown.InFlightRequests inFlight)
{
    public GatewayAuthenticator Auth { get; } = auth;
    public ModelCatalog Catalog { get; } = catalog;
    public Routing.Failover Failover { get; } = failover;
    public GatewayConfig Config { get; } = config;
    public ProxyOptions Options { get; } = options;
    public LimitsGate Limits { get; } = limits;
    public CostEstimator Costs { get; } = costs;
    public PriceTable Prices { get; } = prices;
    public IUsageRecorder Usage { get; } = usage;
    public ILogger<ProxyServices> Logger { get; } = logger;
    public Caching.ResponseCache Cache { get; } = cache;
    public UnknownPricePolicy UnknownPrices { get; } = unknownPrices;
    public Customers.CustomerDirectory Customers { get; } = customers;
    public Tags.RequestTagging Tags { get; } = tags;
    public Shutdown.InFlightRequests InFlight { get; } = inFlight;
}

/// <summary>Request limits of the proxy routes (section <c>Gateway</c>).</summary>
public sealed class ProxyOptions
{
    /// <summary>Bodies over this are refused with 413 before they are read (default 10 MiB).</summary>
    public long MaxRequestBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>The whole body must arrive within this, however steadily it trickles; else 408 (default 30 s).</summary>
    public double RequestBodyTimeoutSeconds { get; set; } = 30;

    /// <summary>Bodies read at once on a replica; beyond it a 503 with <c>Retry-After</c> (default 512).</summary>
    public int MaxBodiesInFlight { get; set; } = 512;

    /// <summary>
    /// Of those, how many one virtual key may hold (default: a quarter of <see cref="MaxBodiesInFlight"/>, at least 1): one
    /// key trickling bodies cannot take every slot from the others. The master key is not limited.
    /// </summary>
    public int? MaxBodiesInFlightPerKey { get; set; }

    /// <summary>
    /// Exact token counts (a call to an Anthropic deployment's <c>count_tokens</c>) a virtual key gets a minute on a replica;
    /// beyond it the count is estimated (default 120; 0: always estimated).
    /// </summary>
    public int ExactTokenCountsPerKeyPerMinute { get; set; } = 120;
}

/// <summary>How a request goes upstream: its operation, whether it streams, and the pass-through rewrite for a deployment.</summary>
public sealed record CallShape(UpstreamOperation Operation, bool Stream, bool IncludeUsage, Func<DeploymentConfig, BodyRewriter.Options> PassThrough)
{
    /// <summary>Whether several upstream calls answer the request, given its body, model group and reachable fallbacks: the plan, the 400 refusing it, or neither.</summary>
    public Func<JsonBody, ModelGroup, IReadOnlyList<ModelGroup>, (FanOutPlan? Plan, GatewayError? Error)>? FanOut { get; init; }
}
