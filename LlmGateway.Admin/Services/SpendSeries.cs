namespace LlmGateway.Admin.Services;

/// <summary>Spend per day, one series per group (team, model…), the largest groups first and the rest as "other".</summary>
public sealed record SpendSeries(string[] Days, List<(string Name, double[] Values)> Series)
{
    public bool IsEmpty => Series.Count == 0;

    public static SpendSeries ByDay(IEnumerable<SpendLogRow> rows, DateOnly firstDay, DateOnly lastDay, Func<SpendLogRow, string> group, int maxSeries = 6)
    {
        var dayCount = lastDay.DayNumber - firstDay.DayNumber + 1;
        var days = Enumerable.Range(0, Math.Max(dayCount, 0)).Select(firstDay.AddDays).ToArray();
        var byGroup = rows
            .Where(r => r.StartTime is not null)
            .Select(r => (Day: DateOnly.FromDateTime(r.StartTime!.Value.UtcDateTime), Group: group(r), r.Spend))
            .Where(r => r.Day >= firstDay && r.Day <= lastDay)
            .GroupBy(r => r.Group)
            .OrderByDescending(g => g.Sum(r => r.Spend))
            .ToList();

        var named = byGroup.Take(maxSeries).ToList();
        var rest = byGroup.Skip(maxSeries).SelectMany(g => g).ToList();
        var series = named.Select(g => (g.Key, Values(g, days))).ToList();
        if (rest.Count > 0)
        {
            series.Add(("other", Values(rest, days)));
        }

        return new SpendSeries(days.Select(d => d.ToString("MM-dd")).ToArray(), series);
    }

    private static double[] Values(IEnumerable<(DateOnly Day, string Group, double Spend)> rows, DateOnly[] days)
    {
        var perDay = rows.GroupBy(r => r.Day).ToDictionary(g => g.Key, g => g.Sum(r => r.Spend));
        return days.Select(d => Math.Round(perDay.GetValueOrDefault(d), 6)).ToArray();
    }
}
