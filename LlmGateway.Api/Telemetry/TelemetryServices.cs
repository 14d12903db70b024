using LlmGateway.Api.Relay;
using LlmGateway.Api.Shutdown;
using LlmGateway.Api.Telemetry;
using OpenTelemetry.Metrics;

// In the Api's root namespace, like AddGatewayServices, so the composition root needs no extra using.
namespace LlmGateway.Api;

public static class TelemetryServices
{
    /// <summary>
    /// GenAI metrics and the Prometheus exporter (<c>/metrics</c>), in-flight tracking and the graceful drain on SIGTERM,
    /// and the client-disconnect policy of streams.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration("Gateway:Metrics");
        var exposure = builder.Configuration.GetSection("Gateway:Metrics").Get<MetricsOptions>() ?? new MetricsOptions();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusExporter().AddTeamLabelPolicy(exposure));
        builder.Services.AddHostedService<BudgetGauge>();

        builder.Services.AddOptions<ShutdownOptions>().BindConfiguration("Gateway")
            .Validate(o => o.DrainTimeout >= TimeSpan.Zero, "Gateway:DrainTimeout must not be negative").ValidateOnStart();
        var drain = builder.Configuration.GetValue<TimeSpan?>("Gateway:DrainTimeout") ?? new ShutdownOptions().DrainTimeout;
        // Above the drain: the spend writer's own drain (10 s) and Kestrel's stop come after it.
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = drain + TimeSpan.FromSeconds(20));
        builder.Services.AddSingleton<InFlightRequests>();
        builder.Services.AddHostedService<GracefulShutdown>();

        builder.Services.AddOptions<DisconnectOptions>().BindConfiguration("Gateway")
            .Validate(o => o.DisconnectPolicy is "drain" or "cancel", "Gateway:DisconnectPolicy must be 'drain' or 'cancel'")
            .Validate(o => o.MaxConcurrentDrains >= 0 && o.DisconnectDrainTimeout >= TimeSpan.Zero, "Gateway:MaxConcurrentDrains and Gateway:DisconnectDrainTimeout must not be negative")
            .ValidateOnStart();
        builder.Services.AddSingleton<DisconnectDrains>();
        builder.AddContentLogs();
        return builder;
    }
}
