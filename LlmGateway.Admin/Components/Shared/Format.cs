using System.Globalization;

namespace LlmGateway.Admin.Components.Shared;

/// <summary>How the admin writes money, times and lists.</summary>
public static class Format
{
    public static string Money(double value) => value switch
    {
        0 => "$0.00",
        > 0 and < 0.01 => value.ToString("$0.00####", CultureInfo.InvariantCulture),
        _ => value.ToString("$#,##0.00", CultureInfo.InvariantCulture),
    };

    public static string Price(double? perToken) =>
        perToken is null ? "—" : (perToken.Value * 1_000_000).ToString("$#,##0.00##", CultureInfo.InvariantCulture) + " / 1M";

    public static string Time(DateTimeOffset? value) => value?.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) ?? "—";

    public static string Ms(double? value) => value is null ? "—" : value.Value.ToString("0.#", CultureInfo.InvariantCulture);

    public static string Percent(double ratio) => ratio.ToString("0.#%", CultureInfo.InvariantCulture);

    public static string Limit(long? value) => value is null or 0 ? "—" : value.Value.ToString("#,##0", CultureInfo.InvariantCulture);

    public static string Models(List<string>? models) => models is null or { Count: 0 } ? "all models" : string.Join(", ", models);

    /// <summary>Splits a comma-separated field into trimmed, distinct, non-empty items.</summary>
    public static List<string> SplitList(string? text) =>
        (text ?? "").Split([',', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
}
