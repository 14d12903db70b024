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

/// <summary>Where alerts go, as configured (webhook URLs masked). The Api reads them from its configuration only.</summary>
public sealed record AlertSettings
{
    public string? WebhookUrl { get; init; }
    public List<string>? Alerting { get; init; }
    public List<string>? AlertTypes { get; init; }
    public double? AlertingThreshold { get; init; }
    public List<double>? BudgetThresholds { get; init; }
    public List<string>? EmailTo { get; init; }
    public List<string>? Problems { get; init; }
}

public sealed record TestAlertResult
{
    public bool Delivered { get; init; }
    public string? Message { get; init; }
}
