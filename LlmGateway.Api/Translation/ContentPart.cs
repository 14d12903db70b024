using System.Text.Json.Nodes;

namespace LlmGateway.Api.Translation;

/// <summary>One piece of a turn or of an answer. <see cref="CacheControl"/> is the client's cache hint, if any.</summary>
public abstract record ContentPart
{
    public JsonNode? CacheControl { get; init; }
}

public sealed record TextPart(string Text) : ContentPart
{
    /// <summary>The model declined: OpenAI's <c>refusal</c>.</summary>
    public bool IsRefusal { get; init; }
}

/// <summary>Where an image's or document's bytes are: inline base64 with a media type, or a URL.</summary>
public sealed record MediaSource(string? MediaType, string? Base64Data, string? Url)
{
    public static MediaSource Inline(string mediaType, string data) => new(mediaType, data, null);

    public static MediaSource At(string url) => new(null, null, url);

    /// <summary>The source as a URL: the URL itself, or a <c>data:</c> URL for inline bytes.</summary>
    public string AsUrl() => Url ?? $"data:{MediaType};base64,{Base64Data}";

    private static readonly HashSet<string> ReadableImages = ["image/jpeg", "image/png", "image/gif", "image/webp"];

    /// <summary>A <c>data:&lt;type&gt;;base64,…</c> or http(s) URL; null for anything else.</summary>
    public static MediaSource? FromUrl(string? url)
    {
        if (url is null)
        {
            return null;
        }

        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = url.IndexOf(',');
            var header = comma < 0 ? "" : url[5..comma];
            if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase) || comma == url.Length - 1)
            {
                return null;
            }

            // What every provider refuses is refused here, before an upstream call (RequestShapeFuzzTests): a payload that is
            // not base64, no media type, an image type no provider reads (svg).
            var mediaType = header[..^";base64".Length].ToLowerInvariant() is var type && type == "image/jpg" ? "image/jpeg" : type;
            var data = url[(comma + 1)..];
            return mediaType.IndexOf('/') is > 0 && (!mediaType.StartsWith("image/", StringComparison.Ordinal) || ReadableImages.Contains(mediaType))
                && System.Buffers.Text.Base64.IsValid(data)
                ? Inline(mediaType, data)
                : null;
        }

        return url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            ? At(url)
            : null;
    }
}

public sealed record ImagePart(MediaSource Source) : ContentPart
{
    /// <summary>OpenAI's <c>detail</c> (auto/low/high), kept for OpenAI upstreams.</summary>
    public string? Detail { get; init; }
}

/// <summary>A file (PDF and other documents).</summary>
public sealed record DocumentPart(MediaSource Source, string? Filename = null) : ContentPart;

/// <summary>The model called a tool. <see cref="Arguments"/> is JSON text for function tools, free text for freeform ones.</summary>
public sealed record ToolCallPart(string Id, string Name, string Arguments) : ContentPart
{
    public bool Freeform { get; init; }

    /// <summary>Where the client wrote the call (<c>messages[2].tool_calls[0]</c>), for errors; null in answers.</summary>
    public string? Source { get; init; }
}

/// <summary>A tool's answer to <see cref="CallId"/>; its content is text and images.</summary>
public sealed record ToolResultPart(string CallId, List<ContentPart> Content) : ContentPart
{
    public bool IsError { get; init; }

    /// <summary>Where the client named the call answered (<c>messages[3].tool_call_id</c>), for errors.</summary>
    public string? Source { get; init; }
}

/// <summary>
/// The model's reasoning, with what its provider needs to accept it back on the next turn: Anthropic's
/// <see cref="Signature"/> (or the opaque <see cref="RedactedData"/> of a redacted block), OpenAI's
/// <see cref="EncryptedContent"/> and item <see cref="Id"/>. Carried unchanged; never interpreted.
/// </summary>
public sealed record ReasoningPart(string Text) : ContentPart
{
    public string? Signature { get; init; }
    public string? RedactedData { get; init; }
    public string? EncryptedContent { get; init; }
    public string? Id { get; init; }
}
