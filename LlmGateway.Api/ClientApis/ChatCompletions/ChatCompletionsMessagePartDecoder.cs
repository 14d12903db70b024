using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.ChatCompletions;

/// <summary>Chat completions content parts and tool calls → canonical content parts.</summary>
internal static class ChatCompletionsMessagePartDecoder
{
    /// <summary>A text part with the client's <c>cache_control</c> (copied, so the input stays untouched).</summary>
    public static TextPart Text(string? text, JsonNode? part) => new(text ?? "") { CacheControl = CacheControl(part) };

    public static JsonNode? CacheControl(JsonNode? part) =>
        Get(part, "cache_control") is { } cache && !IsNull(cache) ? cache.DeepClone() : null;

    public static TranslationResult<ContentPart> Read(JsonNode? node, string path)
    {
        if (node is not JsonObject part)
        {
            return TranslationResult<ContentPart>.Failure(path, $"{path} must be an object");
        }

        var type = GetString(part["type"]);
        switch (type)
        {
            case "text":
                return Text(GetString(part["text"]), part);
            case "image_url":
                // image_url is an object in the spec; a bare string is still sent by some clients.
                var url = GetString(part["image_url"]) ?? GetString(Get(part["image_url"], "url"));
                return MediaSource.FromUrl(url) is { } image
                    ? new ImagePart(image) { Detail = GetString(Get(part["image_url"], "detail")), CacheControl = CacheControl(part) }
                    : SourceError($"{path}.image_url.url", url);
            case "file" when GetString(Get(part["file"], "file_data")) is { } data:
                return MediaSource.FromUrl(data) is { } file
                    ? new DocumentPart(file, GetString(Get(part["file"], "filename"))) { CacheControl = CacheControl(part) }
                    : SourceError($"{path}.file.file_data", data);
            default:
                // input_audio and file_id references have no canonical form: no upstream of another format can take them.
                return TranslationResult<ContentPart>.Failure($"{path}.type",
                    $"content part type '{type}' is not supported for this model; use text, image_url or file with file_data");
        }
    }

    private static TranslationError SourceError(string path, string? url) =>
        url is not null && url.StartsWith("data:", StringComparison.OrdinalIgnoreCase)
            ? new TranslationError(path, $"{path} must be a base64 data URL (data:<media type>;base64,<data>)")
            : new TranslationError(path, $"{path} must be an http(s) URL or a base64 data URL");

    /// <summary>A function call (arguments kept as the client's JSON text) or a custom tool call (its free-text input).</summary>
    public static TranslationResult<ContentPart> ReadToolCall(JsonNode? node, string path)
    {
        var freeform = GetString(Get(node, "type")) == "custom";
        var kind = freeform ? "custom" : "function";
        if (node is not JsonObject call || call[kind] is not JsonObject function)
        {
            return TranslationResult<ContentPart>.Failure(path, $"{path} must be a function tool call");
        }

        if (GetString(function["name"]) is not { Length: > 0 } name)
        {
            return TranslationResult<ContentPart>.Failure($"{path}.{kind}.name", $"{path}.{kind}.name is required");
        }

        if (GetString(call["id"]) is not { Length: > 0 } id)
        {
            return TranslationResult<ContentPart>.Failure($"{path}.id", $"{path}.id is required; tool results refer to it");
        }

        var arguments = function[freeform ? "input" : "arguments"];
        // Some clients send arguments as an object rather than its JSON text.
        var text = GetString(arguments) ?? (arguments is JsonObject ? Compact(arguments) : "");
        return new ToolCallPart(id, name, text) { Freeform = freeform, Source = path };
    }
}
