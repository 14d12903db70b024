using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Aspire's service defaults: OpenTelemetry, health checks, service discovery and the standard
/// resilience handler for ordinary HttpClients. Provider clients do not use it: they get their own pipeline.
/// </summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";
    private const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(GatewayTelemetry.Name));

        // Spans are recorded only when something exports them (OTLP, or OTEL_TRACES_ENABLED=true for another exporter): with
        // nobody listening, ASP.NET Core and HttpClient skip their activities, the tags and the trace-context headers per request.
        if (otlp || builder.Configuration.GetValue<bool>("OTEL_TRACES_ENABLED"))
        {
            telemetry.WithTracing(tracing => tracing
                .SetSampler(new BackgroundCallSampler())
                .AddSource(builder.Environment.ApplicationName, GatewayTelemetry.Name)
                .AddAspNetCoreInstrumentation(options =>
                    // Probes would drown the traces that matter.
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation());
        }
        else if (builder.Configuration[$"Logging:LogLevel:{HostingDiagnostics}"] is null)
        {
            // ASP.NET Core starts an Activity per request whenever this category may log, only to put its ids in log scopes:
            // with no spans recorded that is an Activity, its tags and a trace-context header sent upstream per request for
            // nothing. The category only logs "Request starting/finished" (Information); setting its level explicitly keeps it.
            builder.Logging.AddFilter(HostingDiagnostics, LogLevel.None);
        }

        if (otlp)
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps <paramref name="healthPath"/> (every check; <c>/health</c> unless the app serves its own <c>/health</c>) and
    /// <c>/alive</c> (liveness only) in every environment: load balancers probe gateways in production.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app, string healthPath = HealthEndpointPath)
    {
        app.MapHealthChecks(healthPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        return app;
    }
}
