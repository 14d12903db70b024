using System.Globalization;

namespace LlmGateway.Api.Limits;

/// <summary>
/// A budget period. <c>1mo</c> is the calendar month in UTC; durations like <c>30s</c>, <c>30m</c>, <c>24h</c>,
/// <c>7d</c>, <c>30d</c> are rolling periods counted from an anchor (the key's or team's creation).
/// Windows are derived, never stored: no reset job, no race at the boundary.
/// </summary>
public readonly record struct BudgetWindow(DateTimeOffset Start, DateTimeOffset ResetAt)
{
    /// <summary>A stable id for counters of this window.</summary>
    public string Id => Start.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    /// <summary>The longest period or lifetime: a hundred years of 365 days.</summary>
    public const long MaxSeconds = 36_500L * 86_400;

    /// <summary>The longest duration text (its column's length).</summary>
    public const int MaxTextLength = 16;

    public static bool TryParseDuration(string? text, out TimeSpan duration, out bool calendarMonth)
    {
        duration = default;
        calendarMonth = false;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text is "1mo" or "mo" or "monthly")
        {
            calendarMonth = true;
            return true;
        }

        var unitStart = 0;
        while (unitStart < text.Length && char.IsAsciiDigit(text[unitStart]))
        {
            unitStart++;
        }

        if (unitStart == 0 || !long.TryParse(text[..unitStart], NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            return false;
        }

        var unitSeconds = text[unitStart..] switch
        {
            "s" => 1L,
            "m" => 60L,
            "h" => 3_600L,
            "d" => 86_400L,
            "w" => 604_800L,
            _ => 0L,
        };
        // At most a century (and as long as the column holds): a longer period overflowed the calendar and was a 500 where
        // the window's end was computed — after the row was saved (ManagementInputAttackTests).
        if (unitSeconds == 0 || text.Length > MaxTextLength || amount > MaxSeconds / unitSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(amount * unitSeconds);
        return true;
    }

    /// <summary>The window containing <paramref name="now"/>; without a duration, one window for all time.</summary>
    public static BudgetWindow For(string? budgetDuration, DateTimeOffset anchor, DateTimeOffset now)
    {
        if (!TryParseDuration(budgetDuration, out var duration, out var calendarMonth))
        {
            return new BudgetWindow(DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue);
        }

        if (calendarMonth)
        {
            var start = new DateTimeOffset(now.UtcDateTime.Year, now.UtcDateTime.Month, 1, 0, 0, 0, TimeSpan.Zero);
            return new BudgetWindow(start, start.AddMonths(1));
        }

        var elapsed = now - anchor;
        var periods = elapsed < TimeSpan.Zero ? 0 : elapsed.Ticks / duration.Ticks;
        var windowStart = anchor + TimeSpan.FromTicks(periods * duration.Ticks);
        return new BudgetWindow(windowStart, windowStart + duration);
    }
}
