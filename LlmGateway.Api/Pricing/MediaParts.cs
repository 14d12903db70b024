using System.Text.Json;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// The images and documents of a request body, in every client format: content parts whose <c>type</c> is
/// <c>image_url</c>, <c>image</c> or <c>input_image</c> (images) and <c>document</c>, <c>file</c> or <c>input_file</c>
/// (documents). A document is <em>unsized</em> when the body only refers to it — a URL or a file id (Anthropic's
/// <c>source</c> of type <c>url</c> or <c>file</c>, OpenAI's <c>file_id</c>, the Responses API's <c>file_url</c>) — so
/// its pages are not in the body. Read with a JSON reader, so an escaped spelling (<c>"\u0069mage"</c>) counts as the
/// provider reads it, and whatever order the part's fields come in.
/// </summary>
public static class MediaParts
{
    public readonly record struct Counts(int Images, int Documents, int UnsizedDocuments);

    public static Counts Count(ReadOnlySpan<byte> body)
    {
        // No escape and none of the words: no reader pass (the common text-only request).
        if (body.IndexOf("\\u"u8) < 0 && body.IndexOf("image"u8) < 0 && body.IndexOf("document"u8) < 0 && body.IndexOf("file"u8) < 0)
        {
            return default;
        }

        var (images, documents, unsized) = (0, 0, 0);
        // One entry per open object: what its "type" said and whether it (or an object in it) refers to content by URL or id.
        var open = new Stack<(Part Kind, bool Reference, bool Source)>();
        // What the property just read names, for the token right after it only: a "type" string, a "source" object.
        var (typeNext, sourceNext) = (false, false);
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                var (isType, isSource) = (typeNext, sourceNext);
                (typeNext, sourceNext) = (false, false);
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        open.Push((Part.None, false, isSource));
                        break;
                    case JsonTokenType.EndObject:
                        var (kind, reference, _) = open.Pop();
                        images += kind == Part.Image ? 1 : 0;
                        documents += kind == Part.Document ? 1 : 0;
                        unsized += kind == Part.Document && reference ? 1 : 0;
                        if (reference && kind == Part.None && open.TryPop(out var parent))
                        {
                            open.Push(parent with { Reference = true }); // a document's source or file object
                        }

                        break;
                    case JsonTokenType.PropertyName when open.Count > 0:
                        typeNext = reader.ValueTextEquals("type"u8);
                        sourceNext = reader.ValueTextEquals("source"u8);
                        if (reader.ValueTextEquals("file_id"u8) || reader.ValueTextEquals("file_url"u8))
                        {
                            open.Push(open.Pop() with { Reference = true });
                        }

                        break;
                    case JsonTokenType.String when isType && open.Count > 0:
                        open.Push(Typed(ref reader, open.Pop()));
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // The body was parsed before this point; a reader limit here only ends the count early.
        }

        return new Counts(images, documents, unsized);
    }

    private enum Part
    {
        None,
        Image,
        Document,
    }

    /// <summary>The object whose <c>"type"</c> string the reader is on.</summary>
    private static (Part Kind, bool Reference, bool Source) Typed(ref Utf8JsonReader reader, (Part Kind, bool Reference, bool Source) current)
    {
        if (current.Source)
        {
            // Anthropic's source: "base64" and "text" carry the content; "url" and "file" only refer to it.
            return reader.ValueTextEquals("url"u8) || reader.ValueTextEquals("file"u8) ? current with { Reference = true } : current;
        }

        if (reader.ValueTextEquals("image_url"u8) || reader.ValueTextEquals("image"u8) || reader.ValueTextEquals("input_image"u8))
        {
            return current with { Kind = Part.Image };
        }

        return reader.ValueTextEquals("document"u8) || reader.ValueTextEquals("file"u8) || reader.ValueTextEquals("input_file"u8)
            ? current with { Kind = Part.Document }
            : current;
    }
}
