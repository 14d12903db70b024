using LlmGateway.Api.Data.Entities;

namespace LlmGateway.Api.Alerts;

/// <summary><c>GET /alerts</c>: newest first, and the settings in force (URLs masked, secrets never included).</summary>
public sealed record AlertsPage(IReadOnlyList<AlertView> Alerts, AlertSettingsView Settings);

public sealed record AlertView(
    string Id, string Type, string Severity, string Scope, string ScopeId, string? Name, string? TeamId, string? KeyAlias,
    decimal Threshold, decimal? Spend, decimal? Budget, DateTimeOffset PeriodStart, DateTimeOffset? ResetsAt, string Message,
    DateTimeOffset CreatedAt, bool? Delivered, string Status, int Attempts, DateTimeOffset? DeliveredAt,
    IReadOnlyList<string> DeliveredChannels, IReadOnlyList<string> PendingChannels, string? LastError)
{
    public static AlertView From(Alert a) => new(
        a.Id.ToString(), a.Type, a.Severity, a.Scope, a.ScopeId, a.Name, a.TeamId, a.KeyAlias, a.Threshold, a.Spend, a.Budget,
        a.PeriodStart, a.ResetsAt, a.Message, a.CreatedAt,
        a.Status switch { AlertStatus.Delivered => true, AlertStatus.Failed => false, _ => null },
        a.Status, a.Attempts, a.DeliveredAt, a.DeliveredChannels, a.PendingChannels, a.LastError);
}

/// <summary>
/// <c>webhook_url</c> is what the admin shows: the Slack webhook, else the generic one, masked to scheme and host.
/// <c>read_only</c>: settings change in configuration, not at runtime (<c>POST /alerts/settings</c> answers 501).
/// </summary>
public sealed record AlertSettingsView(
    string? WebhookUrl, string? SlackWebhookUrl, string? GenericWebhookUrl, IReadOnlyList<string> Alerting,
    IReadOnlyList<string> AlertTypes, double? AlertingThreshold, IReadOnlyList<decimal> BudgetThresholds,
    IReadOnlyList<string> EmailTo, bool ReadOnly, IReadOnlyList<string> Problems)
{
    public static AlertSettingsView From(AlertSetup setup) => new(
        AlertSetup.Mask(setup.SlackWebhookUrl ?? setup.WebhookUrl), AlertSetup.Mask(setup.SlackWebhookUrl), AlertSetup.Mask(setup.WebhookUrl),
        setup.Channels, setup.AlertTypes, setup.AlertingThreshold, setup.Options.Thresholds, setup.Options.Email.To, true, [.. setup.Problems()]);
}

/// <summary><c>POST /alerts/test</c>: <c>delivered</c> is true when every enabled channel took the test alert.</summary>
public sealed record TestAlertResponse(bool Delivered, string Message, IReadOnlyList<ChannelResult> Channels);

public sealed record ChannelResult(string Channel, bool Delivered, string? Error);
