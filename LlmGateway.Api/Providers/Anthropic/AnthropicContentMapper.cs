using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>OpenAI content parts and tool calls → Anthropic content blocks.</summary>
internal static class AnthropicContentMapper
{
    public static TranslationError? AddUserPart(JsonNode? node, string path, List<JsonNode?> blocks)
    {
        if (node is not JsonObject part)
        {
            return new TranslationError(path, $"{path} must be an object");
        }

        switch (GetString(part["type"]))
        {
            case "text":
                AnthropicMessageMapper.AddText(blocks, GetString(part["text"]), part["cache_control"]);
                return null;
            case "image_url":
                // image_url is an object in the spec; a bare string is still sent by some clients.
                var url = GetString(part["image_url"]) ?? GetString(Get(part["image_url"], "url"));
                return AddSource(url, $"{path}.image_url.url", part["cache_control"], blocks);
            case "file" when GetString(Get(part["file"], "file_data")) is { } fileData:
                return AddSource(fileData, $"{path}.file.file_data", part["cache_control"], blocks);
            case var type:
                return new TranslationError($"{path}.type",
                    $"content part type '{type}' is not supported by Anthropic models; use text, image_url or file with file_data");
        }
    }

    /// <summary>A data: URL becomes a base64 source (PDFs a document block); an http(s) URL a url source.</summary>
    private static TranslationError? AddSource(string? url, string path, JsonNode? cacheControl, List<JsonNode?> blocks)
    {
        JsonObject block;
        if (url is not null && url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = url.IndexOf(',');
            var header = comma < 0 ? "" : url[5..comma];
            if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase) || comma == url.Length - 1)
            {
                return new TranslationError(path, $"{path} must be a base64 data URL (data:<media type>;base64,<data>)");
            }

            var mediaType = header[..^";base64".Length].ToLowerInvariant();
            var source = new JsonObject { ["type"] = "base64", ["media_type"] = mediaType, ["data"] = url[(comma + 1)..] };
            block = new JsonObject { ["type"] = mediaType == "application/pdf" ? "document" : "image", ["source"] = source };
        }
        else if (url is not null && (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
        {
            block = new JsonObject { ["type"] = "image", ["source"] = new JsonObject { ["type"] = "url", ["url"] = url } };
        }
        else
        {
            return new TranslationError(path, $"{path} must be an http(s) URL or a base64 data URL");
        }

        if (!IsNull(cacheControl))
        {
            block["cache_control"] = cacheControl!.DeepClone();
        }

        blocks.Add(block);
        return null;
    }

    public static TranslationError? AddToolUse(JsonNode? node, string path, List<JsonNode?> blocks)
    {
        if (node is not JsonObject call || call["function"] is not JsonObject function)
        {
            return new TranslationError(path, $"{path} must be a function tool call");
        }

        if (GetString(function["name"]) is not { Length: > 0 } name)
        {
            return new TranslationError($"{path}.function.name", $"{path}.function.name is required");
        }

        if (GetString(call["id"]) is not { Length: > 0 } id)
        {
            return new TranslationError($"{path}.id", $"{path}.id is required; tool results refer to it");
        }

        var arguments = GetString(function["arguments"]);
        JsonNode? input;
        try
        {
            input = string.IsNullOrWhiteSpace(arguments) ? new JsonObject() : JsonNode.Parse(arguments);
        }
        catch (JsonException)
        {
            input = null;
        }

        if (input is not JsonObject)
        {
            return new TranslationError($"{path}.function.arguments",
                $"{path}.function.arguments must be a JSON object encoded as a string; Anthropic models need tool input as an object");
        }

        blocks.Add(new JsonObject
        {
            ["type"] = "tool_use",
            ["id"] = id,
            ["name"] = name,
            ["input"] = input,
        });
        return null;
    }
}
