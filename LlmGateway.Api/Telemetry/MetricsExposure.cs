using System.Security.Cryptography;
using System.Text;
using OpenTelemetry.Metrics;

namespace LlmGateway.Api.Telemetry;

/// <summary>Who may read <c>GET /metrics</c> and whether it carries per-team series (section <c>Gateway:Metrics</c>, docs/security.md).</summary>
public sealed class MetricsOptions
{
    /// <summary>A bearer token Prometheus must send to <c>GET /metrics</c>; unset (the default), <c>/metrics</c> is public.</summary>
    public string? ScrapeToken { get; set; }

    /// <summary>Per-team labels and the per-team budget gauge; by default on with a scrape token, off while <c>/metrics</c> is public.</summary>
    public bool? TeamLabels { get; set; }

    public bool TeamLabelsOn => TeamLabels ?? !string.IsNullOrEmpty(ScrapeToken);
}

/// <summary>
/// Keeps per-team spend and budgets off a public <c>/metrics</c>: without team labels, a view keeps every other label of
/// the instruments that carry a team (so their series add up per model group) and drops the per-team budget gauge; with a
/// scrape token, <c>/metrics</c> answers 401 to anyone without it. Views belong to this replica's meter provider, so the
/// choice holds whichever code recorded the measurement.
/// </summary>
public static class MetricsExposure
{
    private static readonly HashSet<string> TeamLabelled =
    [
        "gen_ai.client.token.usage", "gen_ai.client.operation.duration", "gen_ai.server.time_to_first_token", "llmgateway.requests",
        "llmgateway.cost", "llmgateway.overhead", "llmgateway.cache.hits", "llmgateway.cache.misses", "llmgateway.cache.saved_usd",
        "llmgateway.cache.errors", "llmgateway.cache.over_quota",
    ];

    // Every label of the instruments above but the team (ProxyMetrics.RequestLabels, the cache plan's tags): add new ones here.
    private static readonly string[] KeptLabels =
    [
        "gen_ai.operation.name", "gen_ai.request.model", "gen_ai.provider.name", "gen_ai.token.type", "error.type",
        "http.response.status_class", "model_group", "operation",
    ];

    public static MeterProviderBuilder AddTeamLabelPolicy(this MeterProviderBuilder metrics, MetricsOptions options) => options.TeamLabelsOn
        ? metrics
        : metrics.AddView(instrument => instrument.Meter.Name != GatewayTelemetry.Name ? null
            : instrument.Name == "llmgateway.budget.remaining" ? MetricStreamConfiguration.Drop
            : TeamLabelled.Contains(instrument.Name) ? new MetricStreamConfiguration { TagKeys = KeptLabels }
            : null);

    /// <summary><c>GET /metrics</c> (Prometheus), behind the scrape token when one is configured.</summary>
    public static IEndpointConventionBuilder MapMetrics(this WebApplication app)
    {
        var token = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MetricsOptions>>().Value.ScrapeToken;
        if (string.IsNullOrEmpty(token))
        {
            return app.MapPrometheusScrapingEndpoint("/metrics");
        }

        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        return app.MapPrometheusScrapingEndpoint("/metrics", null, branch => branch.Use(async (context, next) =>
        {
            var header = context.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
            if (CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), expected))
            {
                await next(context);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"metrics\"";
            await context.Response.WriteAsync("GET /metrics needs the scrape token (Gateway:Metrics:ScrapeToken) as 'Authorization: Bearer <token>'.\n");
        }), null);
    }
}
