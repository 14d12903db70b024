using System.Globalization;

namespace LlmGateway.Api.Configuration;

/// <summary>
/// A mapping of settings that knows each key's path, so every parse error reads <c>path: reason</c>.
/// Keys are LiteLLM's snake_case names whatever the source; values go through <c>os.environ/</c> resolution first.
/// </summary>
internal abstract class SettingsMap(ConfigContext context)
{
    protected ConfigContext Context { get; } = context;

    public abstract string PathOf(string key);

    /// <summary>The scalar value of <paramref name="key"/>, or null when absent or null; throws when it is a list or mapping.</summary>
    protected abstract string? RawScalar(string key);

    public string? String(string key) => String(key, out _);

    public string? String(string key, out string? missingVariable) =>
        Context.Resolve(PathOf(key), RawScalar(key), out missingVariable);

    /// <summary>A list of strings; here a comma-separated value (a YAML map reads a list).</summary>
    public virtual IReadOnlyList<string> StringList(string key) =>
        String(key)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];

    public bool? Bool(string key) => String(key)?.Trim().ToLowerInvariant() switch
    {
        null => null,
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        var other => throw Invalid(key, $"expected true or false, got '{other}'"),
    };

    public int? Int(string key, int min = 0)
    {
        var text = String(key);
        if (text is null)
            return null;
        if (!int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            throw Invalid(key, $"expected an integer, got '{text}'");
        if (value < min)
            throw Invalid(key, min == 0 ? $"must not be negative, got {value}" : $"must be at least {min}, got {value}");
        return value;
    }

    public double? Double(string key, double min = 0)
    {
        var text = String(key);
        if (text is null)
            return null;
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw Invalid(key, $"expected a number, got '{text}'");
        if (value < min)
            throw Invalid(key, min == 0 ? $"must not be negative, got {Format(value)}" : $"must be at least {Format(min)}, got {Format(value)}");
        return value;
    }

    /// <summary>A duration given in (possibly fractional) seconds; zero or negative is an error.</summary>
    public TimeSpan? Seconds(string key)
    {
        var seconds = PositiveSeconds(key);
        return seconds is null ? null : TimeSpan.FromSeconds(seconds.Value);
    }

    public double? PositiveSeconds(string key)
    {
        var text = String(key);
        if (text is null)
            return null;
        if (!double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw Invalid(key, $"expected a number of seconds, got '{text}'");
        if (value <= 0)
            throw Invalid(key, $"must be greater than 0 seconds, got {Format(value)}");
        return value;
    }

    /// <summary>A non-negative amount such as a price per token.</summary>
    public decimal? Decimal(string key)
    {
        var text = String(key);
        if (text is null)
            return null;
        if (!decimal.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            throw Invalid(key, $"expected a number, got '{text}'");
        if (value < 0)
            throw Invalid(key, $"must not be negative, got {value.ToString(CultureInfo.InvariantCulture)}");
        return value;
    }

    /// <summary>The nested mapping under <paramref name="key"/>; null when absent or a single value.</summary>
    public abstract SettingsMap? Child(string key);

    public GatewayConfigException Invalid(string key, string reason) => new(PathOf(key), reason);

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
