using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.ClientApis.Responses;

/// <summary>What the gateway needs from an OpenAI Responses request (<c>POST /v1/responses</c>), validated in OpenAI's envelope.</summary>
public sealed class ResponsesRequest
{
    public required JsonBody Body { get; init; }
    public required string Model { get; init; }
    public bool Stream { get; init; }
    public long? MaxOutputTokens { get; init; }
    /// <summary><c>user</c>, else <c>safety_identifier</c>.</summary>
    public string? EndUser { get; init; }
    /// <summary><c>store</c> (OpenAI's default: true): the response is kept for <c>previous_response_id</c> and <c>GET</c>.</summary>
    public bool Store { get; init; } = true;
    public string? PreviousResponseId { get; init; }

    /// <summary>OpenAI's documented minimum for <c>max_output_tokens</c>.</summary>
    public const long MinOutputTokens = 16;

    public static bool TryRead(JsonBody body, out ResponsesRequest request, out GatewayError? error)
    {
        request = null!;
        if (!BodyField.RejectForbidden(body, out error)
            || !BodyField.TryString(body, "model", required: true, out var model, out error)
            || !BodyField.TryBool(body, "stream", out var stream, out error)
            || !BodyField.TryBool(body, "store", out var store, out error)
            || !BodyField.TryInteger(body, "max_output_tokens", MinOutputTokens, int.MaxValue, out var maxOutputTokens, out error)
            || !BodyField.TryNumber(body, "temperature", 0, 2, out _, out error)
            || !BodyField.TryNumber(body, "top_p", 0, 1, out _, out error)
            || !BodyField.TryString(body, "instructions", required: false, out _, out error)
            || !BodyField.TryString(body, "user", required: false, out var user, out error)
            || !BodyField.TryString(body, "safety_identifier", required: false, out var safetyIdentifier, out error)
            || !BodyField.TryString(body, "previous_response_id", required: false, out var previous, out error)
            || !BodyField.TryBool(body, "parallel_tool_calls", out _, out error)
            || !RejectUnsupported(body, out error)
            || !TryValidateInput(body, previous is not null, out error)
            || !TryValidateTools(body, out error))
        {
            return false;
        }

        request = new ResponsesRequest
        {
            Body = body,
            Model = model!,
            Stream = stream ?? false,
            Store = store ?? true,
            MaxOutputTokens = maxOutputTokens,
            EndUser = user ?? safetyIdentifier,
            PreviousResponseId = previous,
        };
        return true;
    }

    /// <summary>Background responses and server-side conversations are not served by the gateway: a 400 naming the field.</summary>
    private static bool RejectUnsupported(JsonBody body, out GatewayError? error)
    {
        error = null;
        if (!BodyField.TryBool(body, "background", out var background, out error))
        {
            return false;
        }

        if (background == true)
        {
            error = GatewayError.InvalidRequest(
                "Background responses are not supported by this gateway; send the request without 'background' (stream it instead).",
                "background", "unsupported_parameter");
        }
        else if (body.TryGet("conversation", out var conversation) && conversation.Kind != JsonTokenType.Null)
        {
            error = GatewayError.InvalidRequest(
                "Conversations are not supported by this gateway; continue a conversation with 'previous_response_id' or send the whole input.",
                "conversation", "unsupported_parameter");
        }

        return error is null;
    }

    private static bool TryValidateInput(JsonBody body, bool hasPrevious, out GatewayError? error)
    {
        error = null;
        if (!body.TryGet("input", out var property) || property.Kind == JsonTokenType.Null)
        {
            if (!hasPrevious)
            {
                error = GatewayError.InvalidRequest("'input' is required: a string or an array of input items.", "input", "missing_required_parameter");
            }

            return error is null;
        }

        if (property.Kind == JsonTokenType.String)
        {
            return true;
        }

        if (property.Kind != JsonTokenType.StartArray)
        {
            error = BodyField.WrongType("input", "a string or an array of input items", property.Kind);
            return false;
        }

        error = ResponsesInputValidation.Validate(JsonNode.Parse(body.Raw(property))!.AsArray());
        return error is null;
    }

    private static bool TryValidateTools(JsonBody body, out GatewayError? error)
    {
        error = null;
        if (!body.TryGet("tools", out var property) || property.Kind == JsonTokenType.Null)
        {
            return true;
        }

        if (property.Kind != JsonTokenType.StartArray)
        {
            error = BodyField.WrongType("tools", "an array", property.Kind);
            return false;
        }

        error = ResponsesInputValidation.ValidateTools(JsonNode.Parse(body.Raw(property))!.AsArray());
        return error is null;
    }
}
