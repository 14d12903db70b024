namespace LlmGateway.Admin.Services;

/// <summary>
/// <c>GET /alerts</c>: the admin's proposal for the Api (not built yet): alert history and the webhook settings.
/// </summary>
public sealed record AlertsPage
{
    public List<AlertRecord> Alerts { get; init; } = [];
    public AlertSettings? Settings { get; init; }
}

public sealed record AlertRecord
{
    public string? Id { get; init; }
    public string? Type { get; init; }
    public string? Severity { get; init; }
    public string? TeamId { get; init; }
    public string? KeyAlias { get; init; }
    public string? Message { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public bool? Delivered { get; init; }
}

/// <summary>Where alerts go. The webhook URL comes back masked; it is only ever written.</summary>
public sealed record AlertSettings
{
    public string? WebhookUrl { get; init; }
    public List<string>? AlertTypes { get; init; }
    public double? AlertingThreshold { get; init; }
}

public sealed record TestAlertResult
{
    public bool Delivered { get; init; }
    public string? Message { get; init; }
}
