using YamlDotNet.RepresentationModel;

namespace LlmGateway.Api.Configuration;

/// <summary>A YAML mapping read key by key; keys never read are reported as unsupported by <see cref="ReportUnread"/>.</summary>
internal sealed class YamlSettingsMap : SettingsMap
{
    private readonly Dictionary<string, YamlNode> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> read = new(StringComparer.Ordinal);

    public YamlSettingsMap(YamlMappingNode node, string path, ConfigContext context) : base(context)
    {
        Path = path;
        foreach (var (key, value) in node.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
                throw new GatewayConfigException(path, $"keys must be plain names (line {key.Start.Line}, column {key.Start.Column})");
            values[name] = value;
        }
    }

    public string Path { get; }

    public IEnumerable<string> Keys => values.Keys;

    public override string PathOf(string key) => ConfigPath.Child(Path, key);

    protected override string? RawScalar(string key) => Node(key) switch
    {
        null => null,
        YamlScalarNode scalar => IsNull(scalar) ? null : scalar.Value,
        _ => throw Invalid(key, "expected a single value, got a list or mapping"),
    };

    public override SettingsMap? Child(string key) => Node(key) is YamlMappingNode ? Map(key) : null;

    /// <summary>The child mapping, or null when absent or null.</summary>
    public YamlSettingsMap? Map(string key) => Node(key) switch
    {
        null => null,
        YamlMappingNode mapping => new YamlSettingsMap(mapping, PathOf(key), Context),
        YamlScalarNode scalar when IsNull(scalar) => null,
        _ => throw Invalid(key, "expected a mapping"),
    };

    /// <summary>The child list, or null when absent or null.</summary>
    public YamlSequenceNode? List(string key, string expected = "a list") => Node(key) switch
    {
        null => null,
        YamlSequenceNode sequence => sequence,
        YamlScalarNode scalar when IsNull(scalar) => null,
        _ => throw Invalid(key, $"expected {expected}"),
    };

    /// <summary>A list of strings (each through <c>os.environ/</c>); empty when absent.</summary>
    public override IReadOnlyList<string> StringList(string key) => List(key) is { } list ? Strings(list, PathOf(key), Context) : [];

    public static IReadOnlyList<string> Strings(YamlSequenceNode list, string path, ConfigContext context)
    {
        var result = new List<string>();
        for (var i = 0; i < list.Children.Count; i++)
        {
            var itemPath = ConfigPath.Item(path, i);
            if (list.Children[i] is not YamlScalarNode scalar || IsNull(scalar))
                throw new GatewayConfigException(itemPath, "expected a string");
            if (context.Resolve(itemPath, scalar.Value, out _) is { } value)
                result.Add(value);
        }
        return result;
    }

    /// <summary>Warns about every key nobody asked for: unknown keys are never silently dropped.</summary>
    public void ReportUnread()
    {
        foreach (var key in values.Keys.Where(k => !read.Contains(k)))
            Context.Unsupported(PathOf(key));
    }

    /// <summary>Marks a key as handled without reading it (a known key accepted with no effect).</summary>
    public void Accept(string key) => read.Add(key);

    public static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    private YamlNode? Node(string key)
    {
        read.Add(key);
        return values.GetValueOrDefault(key);
    }
}
