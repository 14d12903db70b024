namespace LlmGateway.Api.Alerts;

/// <summary>
/// <c>Gateway:Alerts</c>. Channels and alert types come from <c>general_settings.alerting</c> / <c>alert_types</c>
/// (LiteLLM's keys); these settings add what LiteLLM keeps elsewhere. Secrets here are never logged or returned.
/// </summary>
public sealed class AlertOptions
{
    /// <summary>Fractions of <c>max_budget</c> that alert once per period; null means [0.8, 1.0].</summary>
    public decimal[]? BudgetThresholds { get; set; }
    /// <summary>Overrides <c>general_settings.alerting</c> when set (e.g. <c>slack</c>, <c>email</c>, <c>webhook</c>).</summary>
    public string[]? Channels { get; set; }
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan DeliveryPollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public int MaxAttempts { get; set; } = 5;
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>At most one <c>llm_exceptions</c> alert per deployment in this period, across replicas.</summary>
    public TimeSpan ExceptionQuietPeriod { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Secret. Overrides the <c>SLACK_WEBHOOK_URL</c> environment variable.</summary>
    public string? SlackWebhookUrl { get; set; }
    /// <summary>Secret. The generic JSON webhook.</summary>
    public string? WebhookUrl { get; set; }
    public SmtpOptions Smtp { get; set; } = new();
    public EmailOptions Email { get; set; } = new();

    public IReadOnlyList<decimal> Thresholds =>
        BudgetThresholds is { Length: > 0 } configured ? [.. configured.Distinct().Order()] : [0.8m, 1.0m];

    public override string ToString() => "alert options";
}

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    public string? From { get; set; }
    public string? UserName { get; set; }
    /// <summary>Secret.</summary>
    public string? Password { get; set; }
    public bool EnableSsl { get; set; }

    public override string ToString() => $"SMTP {Host}:{Port}";
}

public sealed class EmailOptions
{
    /// <summary>Always copied on email alerts; the only recipients of alerts without a team.</summary>
    public string[] To { get; set; } = [];
}
