using System.Text.Json;

namespace LlmGateway.Api.Contracts;

/// <summary>Lenient reads from upstream stream events: a missing or mistyped field yields the fallback.</summary>
internal static class JsonElementRead
{
    public static bool TryGetObject(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        return element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out value)
            && value.ValueKind == JsonValueKind.Object;
    }

    public static int IndexOf(JsonElement root) =>
        root.TryGetProperty("index", out var index) && index.TryGetInt32(out var i) ? i : -1;

    public static string StringOr(JsonElement element, string name, string fallback) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : fallback;

    public static long Int64Or(JsonElement element, string name, long fallback) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.TryGetInt64(out var n)
            ? n
            : fallback;

    public static bool IsNonEmptyString(JsonElement element) =>
        element.ValueKind == JsonValueKind.String && !element.ValueEquals(""u8);
}
