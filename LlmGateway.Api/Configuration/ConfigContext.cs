namespace LlmGateway.Api.Configuration;

/// <summary>State shared while loading: the injected environment and the warnings collected so far.</summary>
internal sealed class ConfigContext(Func<string, string?> environment)
{
    private const string EnvPrefix = "os.environ/";
    private readonly List<(string Text, bool IsShape)> warnings = [];
    private readonly Dictionary<string, List<string>> unsupported = new(StringComparer.Ordinal);

    public Func<string, string?> Environment { get; } = environment;

    public void Warn(string message)
    {
        if (!warnings.Contains((message, false)))
            warnings.Add((message, false));
    }

    /// <summary>Records an ignored key; the same key in several list entries becomes one warning.</summary>
    public void Unsupported(string path)
    {
        var shape = ConfigPath.Shape(path);
        if (unsupported.TryGetValue(shape, out var paths))
        {
            paths.Add(path);
            return;
        }
        unsupported[shape] = [path];
        warnings.Add((shape, true));
    }

    public IReadOnlyList<string> Warnings() =>
        [.. warnings.Select(w => w.IsShape ? UnsupportedMessage(unsupported[w.Text]) : w.Text)];

    private static string UnsupportedMessage(List<string> paths) => paths.Count == 1
        ? $"{paths[0]} is not supported and is ignored"
        : $"{paths[0]} is not supported and is ignored (also in {paths.Count - 1} more entries)";

    /// <summary>Resolves <c>os.environ/NAME</c>; an unset or empty variable gives null and its name in <paramref name="missingVariable"/>.</summary>
    public string? Resolve(string path, string? raw, out string? missingVariable)
    {
        missingVariable = null;
        if (raw is null || !raw.StartsWith(EnvPrefix, StringComparison.Ordinal))
            return raw;
        var name = raw[EnvPrefix.Length..].Trim();
        if (name.Length == 0)
            throw new GatewayConfigException(path, "'os.environ/' names no environment variable");
        var value = Environment(name);
        if (string.IsNullOrEmpty(value))
        {
            missingVariable = name;
            return null;
        }
        return value;
    }
}
