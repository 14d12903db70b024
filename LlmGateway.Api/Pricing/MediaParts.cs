using System.Text.Json;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// The images and documents of a request body, in every client format: content parts whose <c>type</c> is
/// <c>image_url</c>, <c>image</c> or <c>input_image</c> (images) and <c>document</c>, <c>file</c> or <c>input_file</c>
/// (documents). Read with a JSON reader, so an escaped spelling (<c>"\u0069mage"</c>) counts as the provider reads it.
/// </summary>
public static class MediaParts
{
    public static (int Images, int Documents) Count(ReadOnlySpan<byte> body)
    {
        // No escape and none of the words: no reader pass (the common text-only request).
        if (body.IndexOf("\\u"u8) < 0 && body.IndexOf("image"u8) < 0 && body.IndexOf("document"u8) < 0 && body.IndexOf("file"u8) < 0)
        {
            return (0, 0);
        }

        var (images, documents) = (0, 0);
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || !reader.ValueTextEquals("type"u8) || !reader.Read()
                    || reader.TokenType != JsonTokenType.String)
                {
                    continue;
                }

                if (reader.ValueTextEquals("image_url"u8) || reader.ValueTextEquals("image"u8) || reader.ValueTextEquals("input_image"u8))
                {
                    images++;
                }
                else if (reader.ValueTextEquals("document"u8) || reader.ValueTextEquals("file"u8) || reader.ValueTextEquals("input_file"u8))
                {
                    documents++;
                }
            }
        }
        catch (JsonException)
        {
            // The body was parsed before this point; a reader limit here only ends the count early.
        }

        return (images, documents);
    }
}
