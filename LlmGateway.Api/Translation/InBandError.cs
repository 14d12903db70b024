using System.Text.Json;

namespace LlmGateway.Api.Translation;

/// <summary>An error payload inside a 200 answer: OpenAI's <c>{"error":{…}}</c> or Anthropic's <c>{"type":"error","error":{…}}</c>.</summary>
public static class InBandError
{
    public static ResponseFailed? Read(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\"error\""u8) < 0)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isError = reader.ValueTextEquals("error"u8);
                reader.Read();
                if (isError && reader.TokenType == JsonTokenType.StartObject)
                {
                    return ReadError(ref reader);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static ResponseFailed ReadError(ref Utf8JsonReader reader)
    {
        string? message = null, type = null;
        int? status = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "message" && reader.TokenType == JsonTokenType.String)
            {
                message = reader.GetString();
            }
            else if (name == "type" && reader.TokenType == JsonTokenType.String)
            {
                type = reader.GetString();
            }
            else if (name == "code" && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var code) && code is >= 400 and < 600)
            {
                status = code;
            }
            else
            {
                reader.Skip();
            }
        }

        return new ResponseFailed(type ?? "api_error", message ?? "in-band error from the provider") { Status = status };
    }
}
