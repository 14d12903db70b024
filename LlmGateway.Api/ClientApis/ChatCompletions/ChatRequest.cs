using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.ClientApis.ChatCompletions;

/// <summary>
/// What the gateway needs from an OpenAI chat completions request, read and validated without a DOM;
/// the body itself is forwarded as bytes.
/// </summary>
public sealed class ChatRequest
{
    public required JsonBody Body { get; init; }
    public required string Model { get; init; }
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
    /// <summary><c>max_completion_tokens</c>, else <c>max_tokens</c>.</summary>
    public long? MaxTokens { get; init; }
    public long N { get; init; } = 1;
    /// <summary><c>user</c>, else <c>safety_identifier</c> (OpenAI's newer name for a stable end-user id).</summary>
    public string? User { get; init; }

    public static bool TryRead(JsonBody body, out ChatRequest request, out GatewayError? error)
    {
        request = null!;
        if (!BodyField.RejectForbidden(body, out error)
            || !BodyField.TryString(body, "model", required: true, out var model, out error)
            || !ChatMessagesValidation.TryValidate(body, out error)
            || !BodyField.TryBool(body, "stream", out var stream, out error)
            || !BodyField.TryInteger(body, "max_tokens", 1, int.MaxValue, out var maxTokens, out error)
            || !BodyField.TryInteger(body, "max_completion_tokens", 1, int.MaxValue, out var maxCompletionTokens, out error)
            || !BodyField.TryInteger(body, "n", 1, 128, out var n, out error)
            || !BodyField.TryThinkingBudget(body, out error)
            || !BodyField.TryNumber(body, "temperature", 0, 2, out _, out error)
            || !BodyField.TryNumber(body, "top_p", 0, 1, out _, out error)
            || !BodyField.TryNumber(body, "presence_penalty", -2, 2, out _, out error)
            || !BodyField.TryNumber(body, "frequency_penalty", -2, 2, out _, out error)
            || !BodyField.TryString(body, "user", required: false, out var user, out error)
            || !BodyField.TryString(body, "safety_identifier", required: false, out var safetyIdentifier, out error)
            || !TryReadIncludeUsage(body, out var includeUsage, out error))
        {
            return false;
        }

        request = new ChatRequest
        {
            Body = body,
            Model = model!,
            Stream = stream ?? false,
            IncludeUsage = includeUsage,
            MaxTokens = maxCompletionTokens ?? maxTokens,
            N = n ?? 1,
            User = user ?? safetyIdentifier,
        };
        return true;
    }

    internal static bool TryReadIncludeUsage(JsonBody body, out bool includeUsage, out GatewayError? error)
    {
        includeUsage = false;
        error = null;
        if (!body.TryGet("stream_options", out var property) || property.Kind == JsonTokenType.Null)
        {
            return true;
        }

        if (property.Kind != JsonTokenType.StartObject)
        {
            error = BodyField.WrongType("stream_options", "an object", property.Kind);
            return false;
        }

        var reader = body.ReaderFor(property);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            if (isIncludeUsage)
            {
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                {
                    error = BodyField.WrongType("stream_options.include_usage", "a boolean", reader.TokenType);
                    return false;
                }

                includeUsage = reader.TokenType == JsonTokenType.True;
            }

            reader.Skip();
        }

        return true;
    }
}
