using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.ClientApis.ChatCompletions;

/// <summary>
/// What the gateway needs from an OpenAI chat completions request, read and validated without a DOM;
/// the body itself is forwarded as bytes.
/// </summary>
public sealed class ChatRequest
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool", "function"];

    public required JsonBody Body { get; init; }
    public required string Model { get; init; }
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
    /// <summary><c>max_completion_tokens</c>, else <c>max_tokens</c>.</summary>
    public long? MaxTokens { get; init; }
    public long N { get; init; } = 1;
    public string? User { get; init; }

    public static bool TryRead(JsonBody body, out ChatRequest request, out GatewayError? error)
    {
        request = null!;
        if (!BodyField.RejectForbidden(body, out error)
            || !BodyField.TryString(body, "model", required: true, out var model, out error)
            || !TryValidateMessages(body, out error)
            || !BodyField.TryBool(body, "stream", out var stream, out error)
            || !BodyField.TryInteger(body, "max_tokens", 1, int.MaxValue, out var maxTokens, out error)
            || !BodyField.TryInteger(body, "max_completion_tokens", 1, int.MaxValue, out var maxCompletionTokens, out error)
            || !BodyField.TryInteger(body, "n", 1, 128, out var n, out error)
            || !BodyField.TryNumber(body, "temperature", 0, 2, out _, out error)
            || !BodyField.TryNumber(body, "top_p", 0, 1, out _, out error)
            || !BodyField.TryNumber(body, "presence_penalty", -2, 2, out _, out error)
            || !BodyField.TryNumber(body, "frequency_penalty", -2, 2, out _, out error)
            || !BodyField.TryString(body, "user", required: false, out var user, out error)
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
            User = user,
        };
        return true;
    }

    private static bool TryReadIncludeUsage(JsonBody body, out bool includeUsage, out GatewayError? error)
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

    /// <summary>A non-empty array of message objects, each with a known role and the content that role needs.</summary>
    private static bool TryValidateMessages(JsonBody body, out GatewayError? error)
    {
        if (!BodyField.TryRequiredArray(body, "messages", out var reader, out error))
        {
            return false;
        }

        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var path = $"messages[{index}]";
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                error = BodyField.WrongType(path, "an object", reader.TokenType);
                return false;
            }

            string? role = null;
            var hasContent = false;
            var hasToolCalls = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "role" when reader.TokenType == JsonTokenType.String:
                        role = reader.GetString();
                        break;
                    case "role":
                        error = BodyField.WrongType($"{path}.role", "a string", reader.TokenType);
                        return false;
                    case "content":
                        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray or JsonTokenType.Null))
                        {
                            error = BodyField.WrongType($"{path}.content", "a string or an array of content parts", reader.TokenType);
                            return false;
                        }

                        hasContent = reader.TokenType != JsonTokenType.Null;
                        break;
                    case "tool_calls":
                        hasToolCalls = reader.TokenType == JsonTokenType.StartArray;
                        break;
                }

                reader.Skip();
            }

            if (role is null || !Roles.Contains(role))
            {
                error = GatewayError.InvalidRequest(
                    $"'{path}.role' must be one of system, developer, user, assistant, tool; got {(role is null ? "nothing" : $"'{role}'")}.",
                    $"{path}.role", "invalid_value");
                return false;
            }

            if (!hasContent && !(role == "assistant" && hasToolCalls))
            {
                error = GatewayError.InvalidRequest($"'{path}.content' is required for a {role} message.", $"{path}.content", "missing_required_parameter");
                return false;
            }

            index++;
        }

        if (index == 0)
        {
            error = GatewayError.InvalidRequest("'messages' must contain at least one message.", "messages", "invalid_value");
            return false;
        }

        return true;
    }
}
