using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Caching;

/// <summary>
/// The exact-match key of a request: SHA-256 of its call type, model group and scope, and of its body written with
/// sorted keys and no whitespace, without the fields that do not change the answer.
/// </summary>
public static class CacheKey
{
    /// <summary>Top-level fields that never change the answer: transport, attribution and gateway-only controls.</summary>
    public static readonly IReadOnlySet<string> Ignored = new HashSet<string>(StringComparer.Ordinal)
    {
        "model", "stream", "stream_options", "user", "metadata", "cache", "tags", "fallbacks", "num_retries",
        "context_window_fallback_dict", "caching", "guardrails", "litellm_metadata", "proxy_server_request",
        "drop_params", "request_timeout",
    };

    public static string Hash(JsonBody body, string callType, string modelGroup, string scope)
    {
        var buffer = new ArrayBufferWriter<byte>(body.Bytes.Length + 128);
        using (var document = JsonDocument.Parse(body.Bytes, new JsonDocumentOptions { MaxDepth = JsonBody.MaxDepth }))
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("call_type", callType);
            writer.WriteString("model_group", modelGroup);
            writer.WriteString("scope", scope);
            writer.WritePropertyName("body");
            WriteObject(writer, document.RootElement, Ignored);
            writer.WriteEndObject();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    private static void WriteObject(Utf8JsonWriter writer, JsonElement element, IReadOnlySet<string>? skip)
    {
        writer.WriteStartObject();
        foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (skip is null || !skip.Contains(property.Name))
            {
                writer.WritePropertyName(property.Name);
                WriteCanonical(writer, property.Value);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(writer, element, null);
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                // Re-encoded, so "\u0041" and "A" are the same key.
                writer.WriteStringValue(element.GetString());
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
