using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.ChatCompletions;

/// <summary>
/// Reads an OpenAI chat completions request body (wire-formats §1) into a <see cref="CanonicalRequest"/>.
/// Pure: the input is not modified and nothing of it is shared with the result.
/// </summary>
public static class ChatCompletionsRequestDecoder
{
    // Fields read into the canonical request; everything else the client sent is Unmapped.
    private static readonly HashSet<string> Mapped =
    [
        "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "max_tokens", "max_completion_tokens",
        "temperature", "top_p", "top_k", "stop", "stream", "stream_options", "response_format", "reasoning_effort",
        "thinking", "user", "safety_identifier",
    ];

    public static TranslationResult<CanonicalRequest> Decode(JsonObject body)
    {
        if (body["messages"] is not JsonArray { Count: > 0 } messages)
        {
            return TranslationResult<CanonicalRequest>.Failure("messages", "messages must be a non-empty array");
        }

        var request = new CanonicalRequest { Model = GetString(body["model"]) ?? "" };
        var error = ChatCompletionsMessageDecoder.Decode(messages, request.Messages)
            ?? ReadOutputLimit(body, request)
            ?? ReadStop(body["stop"], request.StopSequences)
            ?? ChatCompletionsRequestToolDecoder.Read(body, request);
        if (error is not null)
        {
            return error;
        }

        ChatCompletionsRequestToolDecoder.ReadResponseFormat(body, request);
        ReadSampling(body, request);
        ReadReasoning(body, request);
        foreach (var (name, value) in body)
        {
            if (!Mapped.Contains(name) && !BodyRewriter.IsGatewayOnly(name))
            {
                request.Unmapped[name] = value?.DeepClone();
            }
        }

        return request;
    }

    private static TranslationError? ReadOutputLimit(JsonObject body, CanonicalRequest request)
    {
        var field = !IsNull(body["max_completion_tokens"]) ? "max_completion_tokens" : "max_tokens";
        if (IsNull(body[field]))
        {
            return null;
        }

        if (GetInt64(body[field]) is not { } limit || limit <= 0)
        {
            return new TranslationError(field, $"{field} must be a positive integer");
        }

        request.MaxOutputTokens = limit;
        request.MaxOutputTokensField = field;
        return null;
    }

    internal static TranslationError? ReadStop(JsonNode? stop, List<string> output)
    {
        if (GetString(stop) is { } single)
        {
            output.Add(single);
            return null;
        }

        if (stop is not JsonArray items)
        {
            return IsNull(stop) ? null : new TranslationError("stop", "stop must be a string or an array of strings");
        }

        foreach (var item in items)
        {
            if (GetString(item) is not { } text)
            {
                return new TranslationError("stop", "stop must be a string or an array of strings");
            }

            output.Add(text);
        }

        return null;
    }

    internal static void ReadSampling(JsonObject body, CanonicalRequest request)
    {
        request.Temperature = GetDouble(body["temperature"]);
        request.TopP = GetDouble(body["top_p"]);
        request.TopK = GetInt64(body["top_k"]);
        request.Stream = body["stream"]?.GetValueKind() == JsonValueKind.True;
        request.IncludeUsage = Get(body["stream_options"], "include_usage")?.GetValueKind() == JsonValueKind.True;
        request.ParallelToolCalls = ChatCompletionsRequestToolDecoder.GetBool(body["parallel_tool_calls"]);

        // safety_identifier is the successor of the deprecated user field.
        request.User = GetString(body["user"]) ?? GetString(body["safety_identifier"]);
    }

    /// <summary>OpenAI's <c>reasoning_effort</c>, and Anthropic's <c>thinking</c> that LiteLLM clients also send on chat completions.</summary>
    private static void ReadReasoning(JsonObject body, CanonicalRequest request)
    {
        var effort = GetString(body["reasoning_effort"]);
        if (effort is null && !IsNull(body["reasoning_effort"]))
        {
            request.Unmapped["reasoning_effort"] = body["reasoning_effort"]!.DeepClone();
        }

        if (body["thinking"] is JsonObject thinking)
        {
            request.Reasoning = new ReasoningRequest(GetString(thinking["type"]) != "disabled", effort, GetInt64(thinking["budget_tokens"]))
            {
                AnthropicThinking = thinking.DeepClone(),
            };
        }
        else if (effort is not null)
        {
            request.Reasoning = new ReasoningRequest(effort != "none", effort);
        }
        else if (!IsNull(body["thinking"]))
        {
            request.Unmapped["thinking"] = body["thinking"]!.DeepClone();
        }
    }
}
