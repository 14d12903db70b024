using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.ClientApis.ChatCompletions;

/// <summary>
/// The <c>messages</c> rule of a chat completions request, read without a DOM: a non-empty array of message objects,
/// each with a known role and the content that role needs.
/// </summary>
internal static class ChatMessagesValidation
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool", "function"];

    public static bool TryValidate(JsonBody body, out GatewayError? error) => MessageList.TryValidate(body, TryValidateMessage, out error);

    private static bool TryValidateMessage(ref Utf8JsonReader reader, string path, out GatewayError? error)
    {
        if (!TryReadFields(ref reader, path, out var role, out var hasContent, out var hasToolCalls, out error))
        {
            return false;
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

        return true;
    }

    /// <summary>Reads one message object up to its end, keeping what the role rules need and checking the types of those fields.</summary>
    private static bool TryReadFields(
        ref Utf8JsonReader reader, string path, out string? role, out bool hasContent, out bool hasToolCalls, out GatewayError? error)
    {
        role = null;
        hasContent = false;
        hasToolCalls = false;
        error = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // Compared in place (no string per property name); a known role is a constant, not a new string.
            var name = reader.ValueTextEquals("role"u8) ? "role" : reader.ValueTextEquals("content"u8) ? "content"
                : reader.ValueTextEquals("tool_calls"u8) ? "tool_calls" : null;
            reader.Read();
            switch (name)
            {
                case "role" when reader.TokenType == JsonTokenType.String:
                    role = KnownRole(ref reader) ?? reader.GetString();
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

        return true;
    }

    private static string? KnownRole(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("user"u8) ? "user"
        : reader.ValueTextEquals("assistant"u8) ? "assistant"
        : reader.ValueTextEquals("system"u8) ? "system"
        : reader.ValueTextEquals("tool"u8) ? "tool"
        : reader.ValueTextEquals("developer"u8) ? "developer"
        : null;
}
