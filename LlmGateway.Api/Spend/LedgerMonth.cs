using System.Globalization;
using System.Text.RegularExpressions;

namespace LlmGateway.Api.Spend;

/// <summary>A UTC calendar month of the ledger: one partition <c>spend_logs_YYYY_MM</c> holding <c>[Start, End)</c>.</summary>
internal readonly partial record struct LedgerMonth(int Year, int Month) : IComparable<LedgerMonth>
{
    public DateTimeOffset Start => new(Year, Month, 1, 0, 0, 0, TimeSpan.Zero);

    public DateTimeOffset End => Start.AddMonths(1);

    public string PartitionName => $"{LedgerPartitions.Table}_{Year:D4}_{Month:D2}";

    public static LedgerMonth Of(DateTimeOffset instant)
    {
        var utc = instant.UtcDateTime;
        return new LedgerMonth(utc.Year, utc.Month);
    }

    public LedgerMonth AddMonths(int months) => Of(Start.AddMonths(months));

    /// <summary>The month a partition name stands for; false for any other table (the default partition, an archive).</summary>
    public static bool TryParse(string partitionName, out LedgerMonth month)
    {
        var match = PartitionNamePattern().Match(partitionName);
        var valid = match.Success && int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) is >= 1 and <= 12;
        month = valid
            ? new LedgerMonth(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
            : default;
        return valid;
    }

    /// <summary>A Postgres timestamptz literal, for partition bounds (DDL takes no parameters).</summary>
    internal static string Literal(DateTimeOffset instant) =>
        "'" + instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "+00'";

    public int CompareTo(LedgerMonth other) => (Year * 12 + Month).CompareTo(other.Year * 12 + other.Month);

    public override string ToString() => $"{Year:D4}-{Month:D2}";

    [GeneratedRegex(@"^spend_logs_(\d{4})_(\d{2})$")]
    private static partial Regex PartitionNamePattern();
}
