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

    /// <param name="headers">The client headers that reach the provider and change its answer (<see cref="UpstreamHeadersOf"/>), or null.</param>
    public static string Hash(JsonBody body, string callType, string modelGroup, string scope, string? headers = null)
    {
        var buffer = new ArrayBufferWriter<byte>(body.Bytes.Length + 128);
        using (var document = JsonDocument.Parse(body.Bytes, new JsonDocumentOptions { MaxDepth = JsonBody.MaxDepth }))
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("call_type", callType);
            writer.WriteString("model_group", modelGroup);
            writer.WriteString("scope", scope);
            if (headers is not null)
            {
                writer.WriteString("headers", headers);
            }

            writer.WritePropertyName("body");
            WriteObject(writer, document.RootElement, Ignored);
            writer.WriteEndObject();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>
    /// <c>anthropic-version</c> and the <c>anthropic-beta</c> flags (sorted, each once), which the gateway passes to Anthropic
    /// and which change its answer (interleaved thinking, context management, a longer context): part of the key, so a
    /// request without a flag is not answered with one made with it (CacheAndStreamAttackTests). Null when neither is sent.
    /// </summary>
    public static string? UpstreamHeadersOf(IHeaderDictionary headers)
    {
        var version = headers["anthropic-version"].ToString();
        var betas = headers["anthropic-beta"].ToString();
        if (version.Length == 0 && betas.Length == 0)
        {
            return null;
        }

        var flags = betas.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return version.Trim() + ";" + string.Join(',', flags);
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
