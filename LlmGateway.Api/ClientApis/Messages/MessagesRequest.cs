using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.ClientApis.Messages;

/// <summary>What the gateway needs from an Anthropic Messages request (<c>POST /v1/messages</c>), validated without a DOM.</summary>
public sealed class MessagesRequest
{
    public required JsonBody Body { get; init; }
    public required string Model { get; init; }
    public bool Stream { get; init; }
    public long MaxTokens { get; init; }
    /// <summary>The developer from <c>metadata.user_id</c> (<see cref="EndUserId.FromAnthropicUserId"/>), never the session.</summary>
    public string? EndUser { get; init; }

    public static bool TryRead(JsonBody body, out MessagesRequest request, out GatewayError? error)
    {
        request = null!;
        if (!BodyField.RejectForbidden(body, out error)
            || !BodyField.TryString(body, "model", required: true, out var model, out error)
            || !BodyField.TryInteger(body, "max_tokens", 1, int.MaxValue, out var maxTokens, out error)
            || !RequireMaxTokens(maxTokens, out error)
            || !BodyField.TryThinkingBudget(body, out error)
            || !MessagesTurnValidation.TryValidate(body, out error)
            || !BodyField.TryBool(body, "stream", out var stream, out error)
            || !BodyField.TryNumber(body, "temperature", 0, 1, out _, out error)
            || !BodyField.TryNumber(body, "top_p", 0, 1, out _, out error)
            || !BodyField.TryInteger(body, "top_k", 0, int.MaxValue, out _, out error)
            || !TryValidateSystem(body, out error))
        {
            return false;
        }

        request = new MessagesRequest
        {
            Body = body,
            Model = model!,
            Stream = stream ?? false,
            MaxTokens = maxTokens!.Value,
            EndUser = EndUserId.FromAnthropicUserId(BodyField.NestedString(body, "metadata", "user_id")),
        };
        return true;
    }

    private static bool RequireMaxTokens(long? maxTokens, out GatewayError? error)
    {
        error = maxTokens is null
            ? GatewayError.InvalidRequest("'max_tokens' is required.", "max_tokens", "missing_required_parameter")
            : null;
        return error is null;
    }

    internal static bool TryValidateSystem(JsonBody body, out GatewayError? error)
    {
        error = null;
        if (body.TryGet("system", out var property) && property.Kind is not (JsonTokenType.String or JsonTokenType.StartArray or JsonTokenType.Null))
        {
            error = BodyField.WrongType("system", "a string or an array of text blocks", property.Kind);
        }

        return error is null;
    }
}
