using System.Text.Json;

namespace LlmGateway.Api.Contracts;

/// <summary>Checks one message object of a <c>messages</c> array; the reader is on its start and is left on its end.</summary>
public delegate bool MessageRule(ref Utf8JsonReader reader, string path, out GatewayError? error);

/// <summary>
/// The <c>messages</c> shape every chat-style client format shares, read without a DOM: a required, non-empty array of
/// objects, each checked by the format's own <see cref="MessageRule"/>.
/// </summary>
public static class MessageList
{
    public static bool TryValidate(JsonBody body, MessageRule rule, out GatewayError? error)
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

            if (!rule(ref reader, path, out error))
            {
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
