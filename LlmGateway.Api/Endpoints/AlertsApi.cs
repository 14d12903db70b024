using LlmGateway.Api.Alerts;
using LlmGateway.Api.Auth;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Management;

namespace LlmGateway.Api.Endpoints;

/// <summary>Alert history, a test send to every channel, and (read-only) settings. Master key only.</summary>
public static class AlertsApi
{
    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/alerts").WithTags("Alerts");
        alerts.MapGet("/", ListAsync).WithName("ListAlerts").WithSummary("Alerts, newest first (optionally one team's), and the alert settings in force.");
        alerts.MapPost("/test", TestAsync).WithName("SendTestAlert").WithSummary("Send a test alert to every enabled channel; reports each channel.");
        alerts.MapPost("/settings", SettingsAsync).WithName("UpdateAlertSettings").WithSummary("Not supported: alert settings come from configuration.");
        return app;
    }

    private static async Task<IResult> ListAsync(string? team_id, int? limit, HttpContext context, GatewayAuthenticator auth, AlertStore store, AlertSetup setup)
    {
        if (await DenyAsync(context, auth) is { } denied)
        {
            return denied;
        }

        var rows = await store.ListAsync(team_id, Math.Clamp(limit ?? 100, 1, 1000), context.RequestAborted);
        return TypedResults.Ok(new AlertsPage([.. rows.Select(AlertView.From)], AlertSettingsView.From(setup)));
    }

    private static async Task<IResult> TestAsync(HttpContext context, GatewayAuthenticator auth, AlertStore store, AlertSetup setup, AlertDelivery delivery)
    {
        if (await DenyAsync(context, auth) is { } denied)
        {
            return denied;
        }

        if (setup.Channels.Count == 0)
        {
            return TypedResults.Ok(new TestAlertResponse(false,
                "No alert channel is enabled: set general_settings.alerting (slack, email, webhook) in the config.", []));
        }

        var now = DateTimeOffset.UtcNow;
        var alert = new Alert
        {
            Id = Guid.CreateVersion7(now),
            Type = AlertTypes.Test,
            Severity = "info",
            Scope = "test",
            ScopeId = Guid.NewGuid().ToString("N"),
            Name = "test",
            PeriodStart = now,
            Message = $"This is a test alert from LlmGateway, sent at {now:yyyy-MM-dd HH:mm:ss} UTC.",
            CreatedAt = now,
            Attempts = 1,
            NextAttemptAt = now,
        };
        var results = new List<ChannelResult>();
        foreach (var channel in setup.Channels)
        {
            var error = await delivery.SendAsync(channel, alert, context.RequestAborted);
            results.Add(new ChannelResult(channel, error is null, error));
        }

        alert.DeliveredChannels = [.. results.Where(r => r.Delivered).Select(r => r.Channel)];
        alert.PendingChannels = [];
        var failed = results.Where(r => !r.Delivered).ToList();
        alert.Status = failed.Count == 0 ? AlertStatus.Delivered : AlertStatus.Failed;
        alert.DeliveredAt = failed.Count == 0 ? DateTimeOffset.UtcNow : null;
        alert.LastError = failed.Count == 0 ? null : string.Join("; ", failed.Select(f => $"{f.Channel}: {f.Error}"));
        await store.TryInsertAsync(alert, context.RequestAborted);

        var message = failed.Count == 0
            ? $"Test alert sent to {string.Join(", ", results.Select(r => r.Channel))}."
            : $"Not delivered to {alert.LastError}.";
        return TypedResults.Ok(new TestAlertResponse(failed.Count == 0, message, results));
    }

    private static async Task<IResult> SettingsAsync(HttpContext context, GatewayAuthenticator auth)
    {
        if (await DenyAsync(context, auth) is { } denied)
        {
            return denied;
        }

        // Every replica must send to the same places, and a webhook URL is a secret: both belong in configuration.
        return ManagementServices.Error(new GatewayError(StatusCodes.Status501NotImplemented, "not_implemented",
            "Alert settings cannot be changed at runtime: set general_settings.alerting and alert_types in the config file, " +
            "SLACK_WEBHOOK_URL and the Gateway:Alerts section (WebhookUrl, Smtp, Email:To, BudgetThresholds), then restart the Api replicas.",
            null, "alert_settings_read_only"));
    }

    private static async Task<IResult?> DenyAsync(HttpContext context, GatewayAuthenticator auth) =>
        await auth.RequireMasterAsync(context.Request, context.RequestAborted) is { } error ? ManagementServices.Error(error) : null;
}
