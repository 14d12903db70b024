using LlmGateway.Api.Configuration;

namespace LlmGateway.Api.Alerts;

/// <summary>
/// What alerting does, resolved once at start-up from <c>general_settings</c>, <c>Gateway:Alerts</c> and
/// <c>SLACK_WEBHOOK_URL</c>. Alerts are recorded whenever their type is on; channels only decide where they go.
/// </summary>
public sealed class AlertSetup
{
    public const string Slack = "slack";
    public const string Email = "email";
    public const string Webhook = "webhook";
    public static readonly string[] KnownChannels = [Slack, Email, Webhook];

    public AlertSetup(GatewayConfig config, AlertOptions options, Func<string, string?> environment)
    {
        Options = options;
        var channels = options.Channels ?? [.. config.GeneralSettings.Alerting];
        Channels = [.. channels.Select(c => c.Trim().ToLowerInvariant()).Where(c => c.Length > 0).Distinct()];
        AlertTypes = config.GeneralSettings.AlertTypes;
        AlertingThreshold = config.GeneralSettings.AlertingThreshold;
        SlackWebhookUrl = Blank(options.SlackWebhookUrl) ?? Blank(environment("SLACK_WEBHOOK_URL"));
        WebhookUrl = Blank(options.WebhookUrl);
    }

    public AlertOptions Options { get; }
    /// <summary>Enabled channels, lower case, as configured (unknown or unusable ones are reported by <see cref="Problems"/>).</summary>
    public IReadOnlyList<string> Channels { get; }
    public IReadOnlyList<string> AlertTypes { get; }
    public double? AlertingThreshold { get; }
    internal string? SlackWebhookUrl { get; }
    internal string? WebhookUrl { get; }

    /// <summary>Empty <c>alert_types</c> means every type, as in LiteLLM.</summary>
    public bool Sends(string alertType) => AlertTypes.Count == 0 || AlertTypes.Contains(alertType, StringComparer.OrdinalIgnoreCase);

    /// <summary>Channels that are enabled and have what they need to send.</summary>
    public IReadOnlyList<string> UsableChannels => [.. Channels.Where(c => Problem(c) is null)];

    /// <summary>Start-up warnings: enabled channels that cannot send. Never includes a secret.</summary>
    public IEnumerable<string> Problems() => Channels.Select(Problem).OfType<string>();

    private string? Problem(string channel) => channel switch
    {
        Slack when SlackWebhookUrl is null => "alerting 'slack' is on but SLACK_WEBHOOK_URL (or Gateway:Alerts:SlackWebhookUrl) is not set",
        Slack when !IsHttpUrl(SlackWebhookUrl) => "SLACK_WEBHOOK_URL is not an http(s) URL",
        Webhook when WebhookUrl is null => "alerting 'webhook' is on but Gateway:Alerts:WebhookUrl is not set",
        Webhook when !IsHttpUrl(WebhookUrl) => "Gateway:Alerts:WebhookUrl is not an http(s) URL",
        Email when string.IsNullOrWhiteSpace(Options.Smtp.Host) || string.IsNullOrWhiteSpace(Options.Smtp.From) =>
            "alerting 'email' is on but Gateway:Alerts:Smtp:Host or Gateway:Alerts:Smtp:From is not set",
        Slack or Webhook or Email => null,
        _ => $"alerting channel '{channel}' is not supported (supported: slack, email, webhook)",
    };

    /// <summary>A URL shown to admins: scheme and host only, the secret path hidden.</summary>
    public static string? Mask(string? url) =>
        url is null ? null : Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Host}/…" : "(set)";

    private static bool IsHttpUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    public override string ToString() => $"alerting ({string.Join(", ", Channels)})";
}
