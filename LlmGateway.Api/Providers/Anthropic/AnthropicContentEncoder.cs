using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>Canonical content parts → Anthropic content blocks.</summary>
internal static class AnthropicContentEncoder
{
    /// <summary>
    /// Appends the blocks of one turn. Tool calls are named as chat completions numbers them
    /// (<c>{path}.tool_calls[j]</c>, j counting the turn's calls) so errors point at what the client sent.
    /// </summary>
    public static TranslationError? Encode(List<ContentPart> parts, string path, List<JsonNode> blocks)
    {
        var call = 0;
        foreach (var part in parts)
        {
            switch (part)
            {
                case ToolCallPart toolCall:
                    var toolUse = ToolUse(toolCall, $"{path}.tool_calls[{call++}]");
                    if (!toolUse.IsSuccess)
                    {
                        return toolUse.Error;
                    }

                    blocks.Add(toolUse.Value);
                    break;
                case ToolResultPart result:
                    blocks.Add(ToolResult(result));
                    break;
                case ReasoningPart reasoning when Thinking(reasoning) is { } thinking:
                    blocks.Add(thinking);
                    break;
                default:
                    AddContent(blocks, part);
                    break;
            }
        }

        return null;
    }

    /// <summary>Text, image and document parts; anything else (and empty text, which Anthropic rejects) adds nothing.</summary>
    public static void AddContent(List<JsonNode> blocks, ContentPart part)
    {
        var block = part switch
        {
            TextPart text when !string.IsNullOrWhiteSpace(text.Text) => new JsonObject { ["type"] = "text", ["text"] = text.Text },
            ImagePart image => Media(image.Source, document: false),
            DocumentPart document => Media(document.Source, document: true),
            _ => null,
        };
        if (block is not null)
        {
            blocks.Add(WithCacheControl(block, part.CacheControl));
        }
    }

    public static JsonObject WithCacheControl(JsonObject block, JsonNode? cacheControl)
    {
        if (cacheControl is not null)
        {
            block["cache_control"] = cacheControl.DeepClone();
        }

        return block;
    }

    /// <summary>PDFs are documents wherever they came from; a file that is an image is an image.</summary>
    private static JsonObject Media(MediaSource source, bool document)
    {
        var isDocument = source.MediaType == "application/pdf"
            || (document && source.MediaType?.StartsWith("image/", StringComparison.Ordinal) != true);
        var sourceNode = source.Url is { } url
            ? new JsonObject { ["type"] = "url", ["url"] = url }
            : new JsonObject { ["type"] = "base64", ["media_type"] = source.MediaType, ["data"] = source.Base64Data };
        return new JsonObject { ["type"] = isDocument ? "document" : "image", ["source"] = sourceNode };
    }

    private static TranslationResult<JsonObject> ToolUse(ToolCallPart call, string path)
    {
        JsonNode? input;
        if (call.Freeform)
        {
            // A freeform call's input is free text; Anthropic tools take an object.
            input = new JsonObject { ["input"] = call.Arguments };
        }
        else
        {
            try
            {
                input = string.IsNullOrWhiteSpace(call.Arguments) ? new JsonObject() : JsonNode.Parse(call.Arguments);
            }
            catch (JsonException)
            {
                input = null;
            }
        }

        if (input is not JsonObject)
        {
            return TranslationResult<JsonObject>.Failure($"{path}.function.arguments",
                $"{path}.function.arguments must be a JSON object encoded as a string; Anthropic models need tool input as an object");
        }

        return WithCacheControl(new JsonObject { ["type"] = "tool_use", ["id"] = call.Id, ["name"] = call.Name, ["input"] = input },
            call.CacheControl);
    }

    /// <summary>A lone uncached text answer is sent as a string; anything richer as blocks.</summary>
    private static JsonObject ToolResult(ToolResultPart result)
    {
        var block = new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = result.CallId };
        var content = new List<JsonNode>();
        result.Content.ForEach(part => AddContent(content, part));
        if (content is [JsonObject { Count: 2 } only] && only["text"] is { } text)
        {
            block["content"] = text.DeepClone();
        }
        else if (content.Count > 0)
        {
            block["content"] = new JsonArray([.. content]);
        }

        if (result.IsError)
        {
            block["is_error"] = true;
        }

        return WithCacheControl(block, result.CacheControl);
    }

    /// <summary>Reasoning Anthropic can verify (signed, or redacted data); unsigned reasoning from elsewhere is dropped.</summary>
    private static JsonObject? Thinking(ReasoningPart reasoning) => reasoning switch
    {
        { RedactedData: { } data } => new JsonObject { ["type"] = "redacted_thinking", ["data"] = data },
        { Signature: { } signature } => new JsonObject { ["type"] = "thinking", ["thinking"] = reasoning.Text, ["signature"] = signature },
        _ => null,
    };
}
