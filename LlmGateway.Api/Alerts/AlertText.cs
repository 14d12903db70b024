using System.Globalization;
using LlmGateway.Api.Data.Entities;

namespace LlmGateway.Api.Alerts;

/// <summary>The sentences alerts say, the same on every channel.</summary>
public static class AlertText
{
    public static string Budget(string scope, string name, decimal threshold, decimal spend, decimal budget, DateTimeOffset? resetsAt)
    {
        var who = $"{Capital(scope)} '{name}'";
        var head = threshold >= 1m
            ? $"{who} has reached its budget: {Money(spend)} spent of {Money(budget)} ({Percent(threshold)} threshold); new requests are refused"
            : $"{who} has used {Percent(threshold)} of its budget: {Money(spend)} spent of {Money(budget)}";
        return head + Reset(resetsAt);
    }

    public static string SoftBudget(string scope, string name, decimal spend, decimal softBudget, DateTimeOffset? resetsAt) =>
        $"{Capital(scope)} '{name}' has crossed its soft budget: {Money(spend)} spent, soft budget {Money(softBudget)}{Reset(resetsAt)}";

    public static string Subject(Alert alert) => $"[LlmGateway] {alert.Severity}: {Title(alert)}";

    public static string Slack(Alert alert) => $"*[LlmGateway] {Title(alert)}*\n{alert.Message}";

    public static string Money(decimal value) => "$" + value.ToString("0.00######", CultureInfo.InvariantCulture);

    public static string Percent(decimal fraction) => (fraction * 100m).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Title(Alert alert) => alert.Type switch
    {
        AlertTypes.Budget => $"budget alert, {alert.Scope} '{alert.Name}' at {Percent(alert.Threshold)}",
        AlertTypes.SoftBudget => $"soft budget crossed, {alert.Scope} '{alert.Name}'",
        AlertTypes.LlmExceptions => $"deployment '{alert.Name}' cooled down",
        _ => "test alert",
    };

    private static string Reset(DateTimeOffset? resetsAt) =>
        resetsAt is { } at ? $". The budget resets at {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC." : ". The budget has no period; it does not reset.";

    private static string Capital(string scope) => scope == "key" ? "Key" : scope == "team" ? "Team" : scope;
}

/// <summary>Alert type names (the <c>type</c> field); <c>alert_types</c> in the config switch them by family.</summary>
public static class AlertTypes
{
    public const string Budget = "budget";
    public const string SoftBudget = "soft_budget";
    public const string LlmExceptions = "llm_exceptions";
    public const string Test = "test";
}
