using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.Messages;

/// <summary>
/// Reads an Anthropic Messages request body (<c>/v1/messages</c>) into a <see cref="CanonicalRequest"/>
/// (wire-formats §6). Pure: the input is not modified and the result shares no node with it.
/// </summary>
public static class MessagesRequestDecoder
{
    // Fields read into the canonical model; everything else is kept in Unmapped.
    private static readonly HashSet<string> Mapped =
    [
        "model", "messages", "system", "max_tokens", "temperature", "top_p", "top_k", "stop_sequences", "stream",
        "metadata", "tools", "tool_choice", "thinking", "output_config", "output_format",
    ];

    /// <summary>Decodes <paramref name="body"/>; structural errors name the offending path.</summary>
    public static TranslationResult<CanonicalRequest> Decode(JsonObject body)
    {
        if (body["messages"] is not JsonArray { Count: > 0 } turns)
        {
            return TranslationResult<CanonicalRequest>.Failure("messages", "messages must be a non-empty array");
        }

        var request = new CanonicalRequest { Model = GetString(body["model"]) ?? "" };
        var error = MessagesTurnDecoder.DecodeSystem(body["system"], request.Messages)
            ?? MessagesTurnDecoder.DecodeTurns(turns, request.Messages)
            ?? MessagesToolDecoder.DecodeTools(body["tools"], request.Tools)
            ?? MessagesToolDecoder.DecodeToolChoice(body["tool_choice"], request)
            ?? DecodeSampling(body, request)
            ?? DecodeOutputFormat(body, request);
        if (error is not null)
        {
            return error;
        }

        request.Reasoning = DecodeThinking(body["thinking"], request.Unmapped);
        foreach (var (name, value) in body)
        {
            if (!Mapped.Contains(name))
            {
                request.Unmapped[name] = value?.DeepClone();
            }
        }

        return request;
    }

    private static TranslationError? DecodeSampling(JsonObject body, CanonicalRequest request)
    {
        request.MaxOutputTokens = GetInt64(body["max_tokens"]);
        request.MaxOutputTokensField = "max_tokens";
        request.Temperature = GetDouble(body["temperature"]);
        request.TopP = GetDouble(body["top_p"]);
        request.TopK = GetInt64(body["top_k"]);
        request.Stream = body["stream"]?.GetValueKind() == JsonValueKind.True;
        // The developer, not Claude Code's JSON with its session id: an OpenAI-format upstream's `user` is one per end user.
        if (EndUserId.FromAnthropicUserId(GetString(Get(body["metadata"], "user_id"))) is { } userId)
        {
            request.User = userId;
        }

        if (body["stop_sequences"] is JsonArray stops)
        {
            foreach (var stop in stops)
            {
                if (GetString(stop) is not { } text)
                {
                    return new TranslationError("stop_sequences", "stop_sequences must be an array of strings");
                }

                request.StopSequences.Add(text);
            }
        }

        return null;
    }

    /// <summary>enabled/adaptive/disabled become a reasoning request; any other shape is kept unmapped.</summary>
    private static ReasoningRequest? DecodeThinking(JsonNode? thinking, Dictionary<string, JsonNode?> unmapped)
    {
        ReasoningRequest? reasoning = GetString(Get(thinking, "type")) switch
        {
            "enabled" => new ReasoningRequest(true, BudgetTokens: GetInt64(Get(thinking, "budget_tokens"))),
            "adaptive" => new ReasoningRequest(true),
            "disabled" => new ReasoningRequest(false),
            _ => null,
        };
        if (reasoning is null)
        {
            if (!IsNull(thinking))
            {
                unmapped["thinking"] = thinking!.DeepClone();
            }

            return null;
        }

        return reasoning with { AnthropicThinking = thinking!.DeepClone() };
    }

    /// <summary><c>output_config.format</c> (or the older <c>output_format</c>) as a JSON schema; the rest of output_config stays unmapped.</summary>
    private static TranslationError? DecodeOutputFormat(JsonObject body, CanonicalRequest request)
    {
        var config = body["output_config"];
        if (config is JsonObject settings)
        {
            var rest = new JsonObject();
            foreach (var (name, value) in settings)
            {
                if (name != "format")
                {
                    rest[name] = value?.DeepClone();
                }
            }

            if (rest.Count > 0)
            {
                request.Unmapped["output_config"] = rest;
            }
        }
        else if (!IsNull(config))
        {
            return new TranslationError("output_config", "output_config must be an object");
        }

        var (format, path) = Get(config, "format") is { } nested ? (nested, "output_config.format") : (body["output_format"], "output_format");
        if (IsNull(format))
        {
            return null;
        }

        if (GetString(Get(format, "type")) != "json_schema" || Get(format, "schema") is not JsonObject schema)
        {
            return new TranslationError($"{path}.type", $"{path} must be {{\"type\": \"json_schema\", \"schema\": {{…}}}}");
        }

        request.ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonSchema, Schema: schema.DeepClone());
        return null;
    }
}
