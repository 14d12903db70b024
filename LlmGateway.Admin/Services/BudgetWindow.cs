using System.Globalization;
using System.Text.RegularExpressions;

namespace LlmGateway.Admin.Services;

/// <summary>
/// A budget period from LiteLLM's <c>budget_duration</c> (<c>30s</c>, <c>30m</c>, <c>24h</c>, <c>7d</c>, <c>1mo</c>)
/// and the time it resets, and the spend projected to its end at the current rate.
/// </summary>
public static partial class BudgetWindow
{
    public static DateTimeOffset? Start(string? duration, DateTimeOffset resetAt)
    {
        var match = DurationPattern().Match(duration?.Trim() ?? "");
        if (!match.Success)
        {
            return null;
        }

        var amount = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "s" => resetAt.AddSeconds(-amount),
            "m" => resetAt.AddMinutes(-amount),
            "h" => resetAt.AddHours(-amount),
            "d" => resetAt.AddDays(-amount),
            "w" => resetAt.AddDays(-7 * amount),
            _ => resetAt.AddMonths(-amount),
        };
    }

    /// <summary>Spend at the end of the period if it goes on at the rate so far; null when the period is unknown.</summary>
    public static double? ProjectedSpend(double spend, string? duration, DateTimeOffset? resetAt, DateTimeOffset now)
    {
        if (resetAt is null || Start(duration, resetAt.Value) is not { } start || resetAt <= start)
        {
            return null;
        }

        var elapsed = (now - start).TotalSeconds;
        var length = (resetAt.Value - start).TotalSeconds;
        return elapsed <= 0 ? spend : spend * Math.Max(1, length / elapsed);
    }

    [GeneratedRegex(@"^(\d+)\s*(mo|s|m|h|d|w)$")]
    private static partial Regex DurationPattern();
}
