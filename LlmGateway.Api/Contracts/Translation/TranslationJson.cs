using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmGateway.Api.Contracts;

/// <summary>JSON helpers shared by the format adapters.</summary>
internal static class TranslationJson
{
    // Wire payloads are JSON, not HTML: keep emoji and CJK as UTF-8 instead of \u escapes.
    public static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>
    /// How deep a translated body may nest: a client's body is at most <see cref="JsonBody.MaxDepth"/> deep, and a translation
    /// wraps parts of it a few levels deeper (an Anthropic tool's <c>input_schema</c> becomes <c>tools[].function.parameters</c>),
    /// which must not fail as a 500 on a body the gateway accepted.
    /// </summary>
    public const int MaxDepth = JsonBody.MaxDepth + 16;

    public static readonly JsonSerializerOptions Options = new() { Encoder = Encoder, MaxDepth = MaxDepth };

    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = Encoder, MaxDepth = MaxDepth };

    public static string Compact(JsonNode? node) => node?.ToJsonString(Options) ?? "null";

    /// <summary>A property of <paramref name="node"/> if it is an object; null for anything else.</summary>
    public static JsonNode? Get(JsonNode? node, string name) => node is JsonObject obj ? obj[name] : null;

    public static string? GetString(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static long? GetInt64(JsonNode? node)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        return value.TryGetValue<long>(out var n) ? n : value.TryGetValue<int>(out var i) ? i : null;
    }

    public static double? GetDouble(JsonNode? node)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        // Parsed nodes convert freely; nodes built from CLR values only convert to their own type.
        return value.TryGetValue<double>(out var d) ? d
            : value.TryGetValue<long>(out var l) ? l
            : value.TryGetValue<int>(out var i) ? i
            : double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
    }

    public static bool IsNull(JsonNode? node) => node is null || node.GetValueKind() == JsonValueKind.Null;
}
