using LlmGateway.Api.Alerts;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// In the Api's root namespace beside AddGatewayServices, which calls it.
namespace LlmGateway.Api;

public static class AlertServices
{
    /// <summary>Budget and <c>llm_exceptions</c> alerts: settings, channels, the evaluator and the delivery worker.</summary>
    public static IHostApplicationBuilder AddBudgetAlerts(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<AlertOptions>().BindConfiguration("Gateway:Alerts")
            .Validate(o => o.Thresholds.All(t => t is > 0m and <= 10m), "Gateway:Alerts:BudgetThresholds: each threshold must be a fraction of the budget above 0 (e.g. 0.8, 1.0)")
            .Validate(o => o.MaxAttempts is >= 1 and <= 100, "Gateway:Alerts:MaxAttempts must be between 1 and 100")
            .Validate(o => o.EvaluationInterval >= TimeSpan.FromMilliseconds(100), "Gateway:Alerts:EvaluationInterval must be at least 100 ms")
            .Validate(o => o.DeliveryPollInterval >= TimeSpan.FromMilliseconds(50), "Gateway:Alerts:DeliveryPollInterval must be at least 50 ms")
            .Validate(o => o.SendTimeout > TimeSpan.Zero && o.RetryBaseDelay > TimeSpan.Zero && o.ExceptionQuietPeriod > TimeSpan.Zero,
                "Gateway:Alerts: SendTimeout, RetryBaseDelay and ExceptionQuietPeriod must be positive")
            .ValidateOnStart();
        services.AddSingleton(sp => new AlertSetup(
            sp.GetRequiredService<GatewayConfig>(), sp.GetRequiredService<IOptions<AlertOptions>>().Value, Environment.GetEnvironmentVariable));
        services.AddSingleton<AlertHttp>();
        services.AddSingleton<IAlertChannel, SlackAlertChannel>();
        services.AddSingleton<IAlertChannel, WebhookAlertChannel>();
        services.AddSingleton<IAlertChannel, EmailAlertChannel>();
        services.AddSingleton<AlertStore>();
        services.AddSingleton<AlertQueue>();
        services.AddSingleton<AlertDelivery>();
        services.AddSingleton<BudgetAlertEvaluator>();
        services.AddHostedService(sp => sp.GetRequiredService<BudgetAlertEvaluator>());
        services.AddHostedService<AlertDeliveryWorker>();
        services.AddHostedService<AlertSetupWarnings>();
        // Replaces the router's logging-only default, whichever was registered first.
        services.Replace(ServiceDescriptor.Singleton<IDeploymentAlertSink, AlertingDeploymentSink>());
        return builder;
    }
}
