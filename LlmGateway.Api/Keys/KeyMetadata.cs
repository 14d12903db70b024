using System.Text.Json;

namespace LlmGateway.Api.Keys;

/// <summary>The settings a key's or team's free-form <c>metadata</c> JSON carries (LiteLLM's conventions), read once per key load.</summary>
public static class KeyMetadata
{
    /// <summary>LiteLLM's <c>allowed_cache_controls</c>: the cache controls a key may send; empty allows every control.</summary>
    public static IReadOnlyList<string> AllowedCacheControls(string? metadataJson)
    {
        if (string.IsNullOrEmpty(metadataJson) || !metadataJson.Contains("allowed_cache_controls", StringComparison.Ordinal))
        {
            return [];
        }

        using var document = Parse(metadataJson);
        return document is not null && document.RootElement.TryGetProperty("allowed_cache_controls", out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
            : [];
    }

    /// <summary>True when the metadata has <c>"log_content": true</c> (content logging, docs/telemetry.md).</summary>
    public static bool LogsContent(string? metadataJson)
    {
        if (string.IsNullOrEmpty(metadataJson) || !metadataJson.Contains("log_content", StringComparison.Ordinal))
        {
            return false;
        }

        using var document = Parse(metadataJson);
        return document is not null && document.RootElement.TryGetProperty("log_content", out var flag) && flag.ValueKind == JsonValueKind.True;
    }

    /// <summary>A boolean setting in the metadata (e.g. a team's <c>"cache": false</c>); null when absent or not a boolean.</summary>
    public static bool? Flag(string? metadataJson, string name)
    {
        if (string.IsNullOrEmpty(metadataJson) || !metadataJson.Contains(name, StringComparison.Ordinal))
        {
            return null;
        }

        using var document = Parse(metadataJson);
        return document is not null && document.RootElement.TryGetProperty(name, out var flag) && flag.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? flag.GetBoolean()
            : null;
    }

    /// <summary>The metadata as a JSON object; null when it is not one.</summary>
    private static JsonDocument? Parse(string metadataJson)
    {
        try
        {
            var document = JsonDocument.Parse(metadataJson);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
