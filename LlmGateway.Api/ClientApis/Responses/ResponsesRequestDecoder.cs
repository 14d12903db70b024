using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.Responses;

/// <summary>
/// Reads an OpenAI Responses request body into a <see cref="CanonicalRequest"/>: <c>instructions</c> as the system turn,
/// then the input items (a <c>previous_response_id</c> chain is already spliced in by <c>ResponsesConversation</c>).
/// Pure: the input is not modified and the result shares no node with it.
/// </summary>
public static class ResponsesRequestDecoder
{
    // Read into the canonical request.
    private static readonly HashSet<string> Mapped =
    [
        "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens", "temperature", "top_p",
        "stream", "text", "reasoning", "user", "safety_identifier",
    ];

    // OpenAI-side bookkeeping with no effect on what the model answers: not an upstream's concern.
    private static readonly HashSet<string> Ignored =
    [
        "store", "previous_response_id", "include", "client_metadata", "prompt_cache_key", "prompt_cache_retention", "service_tier",
        "truncation", "stream_options", "background", "conversation", "metadata",
    ];

    public static TranslationResult<CanonicalRequest> Decode(JsonObject body)
    {
        var request = new CanonicalRequest { Model = GetString(body["model"]) ?? "" };
        if (GetString(body["instructions"]) is { Length: > 0 } instructions)
        {
            request.Messages.Add(new CanonicalMessage(Role.System, [new TextPart(instructions)]));
        }

        var error = ResponsesItemDecoder.Decode(body["input"], request.Messages)
            ?? ResponsesToolDecoder.Read(body, request);
        if (error is not null)
        {
            return error;
        }

        request.MaxOutputTokens = GetInt64(body["max_output_tokens"]);
        request.MaxOutputTokensField = "max_output_tokens";
        request.Temperature = GetDouble(body["temperature"]);
        request.TopP = GetDouble(body["top_p"]);
        request.Stream = body["stream"]?.GetValueKind() == JsonValueKind.True;
        request.User = GetString(body["user"]) ?? GetString(body["safety_identifier"]);
        ResponsesToolDecoder.ReadTextFormat(body["text"], request);
        ResponsesToolDecoder.ReadReasoning(body["reasoning"], request);
        foreach (var (name, value) in body)
        {
            if (!Mapped.Contains(name) && !Ignored.Contains(name) && !BodyRewriter.IsGatewayOnly(name))
            {
                request.Unmapped[name] = value?.DeepClone();
            }
        }

        return request;
    }
}
