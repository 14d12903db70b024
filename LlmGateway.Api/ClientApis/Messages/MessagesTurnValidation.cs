using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.ClientApis.Messages;

/// <summary>
/// The <c>messages</c> rule of an Anthropic Messages request, read without a DOM: a non-empty array of turns, each a
/// <c>user</c> or <c>assistant</c> object with content.
/// </summary>
internal static class MessagesTurnValidation
{
    public const string UnexpectedSystemRole =
        "messages: Unexpected role \"system\". The Messages API accepts a top-level `system` parameter, not \"system\" as an input message role.";

    public static bool TryValidate(JsonBody body, out GatewayError? error) => MessageList.TryValidate(body, TryValidateTurn, out error);

    private static bool TryValidateTurn(ref Utf8JsonReader reader, string path, out GatewayError? error)
    {
        if (!TryReadFields(ref reader, path, out var role, out var hasContent, out error))
        {
            return false;
        }

        if (role == "system")
        {
            // Anthropic's own words: Claude Code retries without the entry on exactly this text, and ends the session on any other.
            error = GatewayError.InvalidRequest(UnexpectedSystemRole, $"{path}.role", "invalid_value");
            return false;
        }

        if (role is not ("user" or "assistant"))
        {
            error = GatewayError.InvalidRequest($"'{path}.role' must be 'user' or 'assistant'.", $"{path}.role", "invalid_value");
            return false;
        }

        if (!hasContent)
        {
            error = GatewayError.InvalidRequest($"'{path}.content' is required.", $"{path}.content", "missing_required_parameter");
            return false;
        }

        return true;
    }

    /// <summary>Reads one turn object up to its end, keeping its role and checking the type of its content.</summary>
    private static bool TryReadFields(ref Utf8JsonReader reader, string path, out string? role, out bool hasContent, out GatewayError? error)
    {
        role = null;
        hasContent = false;
        error = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "role" && reader.TokenType == JsonTokenType.String)
            {
                role = reader.GetString();
            }
            else if (name == "content")
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray))
                {
                    error = BodyField.WrongType($"{path}.content", "a string or an array of content blocks", reader.TokenType);
                    return false;
                }

                hasContent = true;
            }

            reader.Skip();
        }

        return true;
    }
}
