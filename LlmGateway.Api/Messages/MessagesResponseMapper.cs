using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.Messages;

/// <summary>Translates a non-streamed OpenAI <c>chat.completion</c> into an Anthropic message (wire-formats §10.3).</summary>
public static class MessagesResponseMapper
{
    /// <summary>
    /// Builds the Anthropic response; <paramref name="modelGroupName"/> becomes <c>model</c> and
    /// <paramref name="messageId"/> (<c>msg_…</c>) becomes <c>id</c>. Only the first choice is used.
    /// </summary>
    public static JsonObject ToAnthropic(JsonObject openAiChatCompletion, string modelGroupName, string messageId)
    {
        var choice = openAiChatCompletion["choices"] is JsonArray { Count: > 0 } choices ? choices[0] : null;
        var message = Get(choice, "message");
        var content = new JsonArray();

        // A refusal is the text the client should see; its finish reason says why.
        if ((ContentText(Get(message, "content")) ?? GetString(Get(message, "refusal"))) is { Length: > 0 } text)
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = text });
        }

        if (Get(message, "tool_calls") is JsonArray toolCalls)
        {
            foreach (var call in toolCalls)
            {
                var function = Get(call, "function");
                content.Add(new JsonObject
                {
                    ["type"] = "tool_use",
                    ["id"] = GetString(Get(call, "id")),
                    ["name"] = GetString(Get(function, "name")),
                    ["input"] = ParseArguments(GetString(Get(function, "arguments"))),
                    // Anthropic sends it on every tool_use block; Anthropic's SDKs refuse a block without it.
                    ["caller"] = new JsonObject { ["type"] = "direct" },
                });
            }
        }

        var usage = ReadUsage(openAiChatCompletion["usage"]);
        return new JsonObject
        {
            ["id"] = messageId,
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = modelGroupName,
            ["content"] = content,
            ["stop_reason"] = StopReasons.ToAnthropicStopReason(GetString(Get(choice, "finish_reason"))),
            ["stop_sequence"] = null,
            ["usage"] = new JsonObject
            {
                ["input_tokens"] = usage.InputTokens,
                ["output_tokens"] = usage.OutputTokens,
                ["cache_creation_input_tokens"] = usage.CacheCreationInputTokens,
                ["cache_read_input_tokens"] = usage.CacheReadInputTokens,
            },
        };
    }

    /// <summary>OpenAI counts cached tokens inside <c>prompt_tokens</c>; Anthropic's <c>input_tokens</c> excludes them.</summary>
    internal static StreamUsage ReadUsage(JsonNode? usage)
    {
        var prompt = GetInt64(Get(usage, "prompt_tokens")) ?? 0;
        var cached = GetInt64(Get(Get(usage, "prompt_tokens_details"), "cached_tokens")) ?? 0;
        return new StreamUsage(Math.Max(0, prompt - cached), GetInt64(Get(usage, "completion_tokens")) ?? 0, cached, 0);
    }

    /// <summary>Tool input must be an object; arguments that are not one are kept verbatim under <c>_raw</c>.</summary>
    internal static JsonObject ParseArguments(string? arguments)
    {
        if (string.IsNullOrWhiteSpace(arguments))
        {
            return [];
        }

        try
        {
            if (JsonNode.Parse(arguments) is JsonObject input)
            {
                return input;
            }
        }
        catch (JsonException)
        {
            // Models do emit broken JSON; the client still sees what was produced.
        }

        return new JsonObject { ["_raw"] = arguments };
    }

    private static string? ContentText(JsonNode? content)
    {
        if (content is not JsonArray parts)
        {
            return GetString(content);
        }

        // Some OpenAI-compatible servers answer with content parts instead of a string.
        return string.Concat(parts.Select(part => GetString(Get(part, "text"))));
    }
}
