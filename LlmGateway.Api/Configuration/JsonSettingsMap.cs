using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmGateway.Api.Configuration;

/// <summary>A JSON object read as settings (a deployment sent to <c>/model/new</c> or stored in the database).</summary>
internal sealed class JsonSettingsMap(JsonObject? node, string path, ConfigContext context) : SettingsMap(context)
{
    public override string PathOf(string key) => ConfigPath.Child(path, key);

    protected override string? RawScalar(string key) => node?[key] switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.GetValue<bool>() ? "true" : "false",
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.ToJsonString(),
        _ => throw Invalid(key, "expected a single value, got a list or an object"),
    };

    public override SettingsMap? Child(string key) => node?[key] is JsonObject child ? new JsonSettingsMap(child, PathOf(key), Context) : null;

    public override IReadOnlyList<string> StringList(string key) => node?[key] is JsonArray array
        ? [.. array.Select(item => item is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw Invalid(key, "expected a list of strings"))]
        : base.StringList(key);
}
