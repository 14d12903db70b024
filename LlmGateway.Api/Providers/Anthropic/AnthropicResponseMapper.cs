using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>Translates a non-streamed Anthropic message into an OpenAI <c>chat.completion</c> (wire-formats §10.3).</summary>
public static class AnthropicResponseMapper
{
    /// <summary>
    /// Builds the OpenAI response; <paramref name="modelGroupName"/> is what the client asked for and
    /// becomes <c>model</c>, <paramref name="requestId"/> becomes <c>id</c>.
    /// </summary>
    public static JsonObject ToOpenAi(JsonObject anthropicMessage, string modelGroupName, string requestId, long createdUnixSeconds)
    {
        StringBuilder? text = null;
        var toolCalls = new JsonArray();
        if (anthropicMessage["content"] is JsonArray blocks)
        {
            foreach (var block in blocks)
            {
                switch (GetString(Get(block, "type")))
                {
                    case "text":
                        (text ??= new StringBuilder()).Append(GetString(Get(block, "text")));
                        break;
                    case "tool_use":
                        toolCalls.Add(ToolCallFromToolUse(block));
                        break;
                    default:
                        // thinking, redacted_thinking and server tool blocks have no OpenAI field.
                        break;
                }
            }
        }

        var message = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = text?.ToString(),
            ["refusal"] = null,
        };
        if (toolCalls.Count > 0)
        {
            message["tool_calls"] = toolCalls;
        }

        return new JsonObject
        {
            ["id"] = requestId,
            ["object"] = "chat.completion",
            ["created"] = createdUnixSeconds,
            ["model"] = modelGroupName,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["logprobs"] = null,
                ["finish_reason"] = StopReasons.ToOpenAiFinishReason(GetString(anthropicMessage["stop_reason"])),
            }),
            ["usage"] = ToOpenAiUsage(ReadUsage(anthropicMessage["usage"])),
        };
    }

    /// <summary>Reads an Anthropic <c>usage</c> object; missing counts are zero.</summary>
    internal static StreamUsage ReadUsage(JsonNode? usage) => new(
        GetInt64(Get(usage, "input_tokens")) ?? 0,
        GetInt64(Get(usage, "output_tokens")) ?? 0,
        GetInt64(Get(usage, "cache_read_input_tokens")) ?? 0,
        GetInt64(Get(usage, "cache_creation_input_tokens")) ?? 0);

    /// <summary>OpenAI counts cached tokens inside <c>prompt_tokens</c>; Anthropic's <c>input_tokens</c> excludes them.</summary>
    internal static JsonObject ToOpenAiUsage(StreamUsage usage) => new()
    {
        ["prompt_tokens"] = usage.PromptTokens,
        ["completion_tokens"] = usage.OutputTokens,
        ["total_tokens"] = usage.TotalTokens,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.CacheReadInputTokens },
    };
}
