using System.Globalization;

namespace LlmGateway.Api.Configuration;

/// <summary>
/// A .NET configuration section read with LiteLLM's snake_case names: <c>api_key</c> is looked up as <c>ApiKey</c>
/// (or literally <c>api_key</c>), so paths in errors read <c>Gateway:ModelList:0:ApiKey</c>.
/// </summary>
internal sealed class SectionSettingsMap(IConfiguration section, string path, ConfigContext context,
    IReadOnlyDictionary<string, string>? renames = null) : SettingsMap(context)
{
    public override string PathOf(string key) => $"{path}:{NameOf(key)}";

    protected override string? RawScalar(string key)
    {
        var name = NameOf(key);
        var child = section.GetSection(name);
        if (child.Value is null && !child.GetChildren().Any())
            child = section.GetSection(key);
        if (child.GetChildren().Any())
            throw Invalid(key, "expected a single value, got a section");
        return string.IsNullOrEmpty(child.Value) ? null : child.Value;
    }

    public override SettingsMap? Child(string key)
    {
        var child = section.GetSection(NameOf(key));
        return child.GetChildren().Any() ? new SectionSettingsMap(child, PathOf(key), Context) : null;
    }

    /// <summary>Children <c>Key:0</c>, <c>Key:1</c>… (environment <c>Key__0</c>), or one comma-separated value.</summary>
    public override IReadOnlyList<string> StringList(string key)
    {
        var children = section.GetSection(NameOf(key)).GetChildren().Select(c => c.Value).OfType<string>().ToArray();
        return children.Length > 0 ? children : base.StringList(key);
    }

    private string NameOf(string key) => renames?.GetValueOrDefault(key) ?? Pascal(key);

    /// <summary><c>input_cost_per_token</c> → <c>InputCostPerToken</c>.</summary>
    public static string Pascal(string snake) => string.Concat(snake.Split('_', StringSplitOptions.RemoveEmptyEntries)
        .Select(part => char.ToUpper(part[0], CultureInfo.InvariantCulture) + part[1..]));
}
