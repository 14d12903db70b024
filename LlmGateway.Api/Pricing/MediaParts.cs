using System.Text.Json;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// The images and documents of a request body, in every client format: content parts whose <c>type</c> is
/// <c>image_url</c>, <c>image</c> or <c>input_image</c> (images) and <c>document</c>, <c>file</c> or <c>input_file</c>
/// (documents). A document is <em>unsized</em> when the body only refers to it — a URL or a file id (Anthropic's
/// <c>source</c> of type <c>url</c> or <c>file</c>, OpenAI's <c>file_id</c>, the Responses API's <c>file_url</c>) — so
/// its pages are not in the body. Read with a JSON reader, so an escaped spelling (<c>"\u0069mage"</c>) counts as the
/// provider reads it, and whatever order the part's fields come in. While reading, it notes where an image part's inline
/// data lies (<see cref="InlineImageData"/>): OpenAI's <c>image_url</c> (a string or <c>{"url"}</c>), the Responses API's
/// <c>image_url</c>, Anthropic's <c>source.data</c> of type <c>base64</c> — also inside a <c>tool_result</c>, the same part;
/// and where a document part's inline PDF lies: Anthropic's <c>source.data</c> of type <c>base64</c>, Chat Completions'
/// <c>file.file_data</c>, the Responses API's <c>file_data</c> (a <c>data:application/pdf;base64,</c> URL); and where an
/// audio part's clip lies (<c>input_audio</c> parts of Chat Completions and the Responses API: <c>input_audio.data</c>,
/// base64 of WAV or MP3).
/// </summary>
public static class MediaParts
{
    public readonly record struct Counts(int Images, int Documents, int UnsizedDocuments);

    public static Counts Count(ReadOnlySpan<byte> body) => Read(body).Counts;

    /// <summary>The byte ranges of a body's inline media, each list in order; null when none.</summary>
    public readonly record struct Inline(List<Range>? ImageData, List<Range>? PdfData, List<Range>? AudioData);

    /// <summary>The counts, and the byte ranges of inline image data, of inline PDFs and of inline audio in <paramref name="body"/>.</summary>
    public static (Counts Counts, Inline Data) Read(ReadOnlySpan<byte> body)
    {
        // No escape and none of the words: no reader pass (the common text-only request).
        if (body.IndexOf("\\u"u8) < 0 && body.IndexOf("image"u8) < 0 && body.IndexOf("document"u8) < 0 && body.IndexOf("file"u8) < 0
            && body.IndexOf("audio"u8) < 0)
        {
            return default;
        }

        var (images, documents, unsized) = (0, 0, 0);
        List<Range>? imageData = null, pdfData = null, audioData = null;
        // One entry per open object: what its "type" said, what refers to content or holds image data in it.
        var open = new Stack<Frame>();
        // What the property just read names, for the token right after it only.
        var next = Name.Other;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                var name = next;
                next = Name.Other;
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        open.Push(new Frame(Part.None, false, name is Name.Source or Name.ImageUrl or Name.File or Name.InputAudio ? name : Name.Other, false, null, null));
                        break;
                    case JsonTokenType.EndObject:
                        var frame = open.Pop();
                        images += frame.Kind == Part.Image ? 1 : 0;
                        documents += frame.Kind == Part.Document ? 1 : 0;
                        unsized += frame.Kind == Part.Document && frame.Reference ? 1 : 0;
                        if (frame is { Kind: Part.Image, Data: { } data })
                        {
                            (imageData ??= []).Add(data);
                        }

                        if (frame is { Kind: Part.Document, Pdf: { } pdf })
                        {
                            (pdfData ??= []).Add(pdf);
                        }

                        if (frame is { Kind: Part.Audio, Audio: { } clip })
                        {
                            (audioData ??= []).Add(clip);
                        }

                        if (frame.Kind == Part.None && open.TryPop(out var parent))
                        {
                            // A part's source, file, image_url or input_audio object: what it refers to or holds is the part's.
                            var holds = parent.Holder == Name.Other;
                            var held = (frame.Holder == Name.ImageUrl || frame.Base64) && holds ? frame.Data : null;
                            var heldPdf = (frame.Holder == Name.File || frame.Base64) && holds ? frame.Pdf : null;
                            var heldAudio = frame.Holder == Name.InputAudio && holds ? frame.Audio : null;
                            open.Push(parent with
                            {
                                Reference = parent.Reference || frame.Reference, Data = held ?? parent.Data, Pdf = heldPdf ?? parent.Pdf,
                                Audio = heldAudio ?? parent.Audio,
                            });
                        }

                        break;
                    case JsonTokenType.PropertyName when open.Count > 0:
                        next = Named(ref reader);
                        if (next == Name.FileReference)
                        {
                            open.Push(open.Pop() with { Reference = true });
                        }

                        break;
                    case JsonTokenType.String when name == Name.Type && open.Count > 0:
                        open.Push(Typed(ref reader, open.Pop()));
                        break;
                    case JsonTokenType.String when name is Name.ImageUrl or Name.Url or Name.Data or Name.FileData && open.Count > 0:
                        open.Push(Held(ref reader, name, open.Pop()));
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // The body was parsed before this point; a reader limit here only ends the count early.
        }

        // A part closes after the parts inside it: an image part holding another (hostile, or a provider's future shape)
        // would list its own data after the inner one's although it may come first in the body.
        imageData?.Sort((a, b) => a.Start.Value.CompareTo(b.Start.Value));
        pdfData?.Sort((a, b) => a.Start.Value.CompareTo(b.Start.Value));
        audioData?.Sort((a, b) => a.Start.Value.CompareTo(b.Start.Value));
        return (new Counts(images, documents, unsized), new Inline(imageData, pdfData, audioData));
    }

    private enum Part : byte
    {
        None,
        Image,
        Document,
        Audio,
    }

    private enum Name : byte
    {
        Other,
        Type,
        Source,
        ImageUrl,
        Url,
        Data,
        FileReference,
        File,
        FileData,
        InputAudio,
    }

    /// <param name="Holder">The property this object is the value of, when it is a <c>source</c>, an <c>image_url</c>, a <c>file</c> or an <c>input_audio</c>.</param>
    /// <param name="Base64">A <c>source</c> whose type is <c>base64</c>.</param>
    /// <param name="Data">The inline image data this object holds, if it is an image part (or its source or image_url).</param>
    /// <param name="Pdf">The inline PDF this object holds, if it is a document part (or its source or file).</param>
    private readonly record struct Frame(Part Kind, bool Reference, Name Holder, bool Base64, Range? Data, Range? Pdf)
    {
        /// <summary>The inline audio clip this object holds, if it is an audio part (or its input_audio).</summary>
        public Range? Audio { get; init; }
    }

    /// <summary>The property name the reader is on; by length first, the hot path of a large text body (most names are none of these).</summary>
    private static Name Named(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return Named(reader.ValueSpan);
        }

        // An escaped name ("\u0074ype") is rare: compared as the provider reads it.
        ReadOnlySpan<string> names = ["url", "type", "data", "file", "source", "file_id", "file_url", "file_data", "image_url", "input_audio"];
        foreach (var name in names)
        {
            if (reader.ValueTextEquals(name))
            {
                return Named(System.Text.Encoding.UTF8.GetBytes(name));
            }
        }

        return Name.Other;
    }

    private static Name Named(ReadOnlySpan<byte> name) => name.Length switch
    {
        3 when name.SequenceEqual("url"u8) => Name.Url,
        4 when name.SequenceEqual("type"u8) => Name.Type,
        4 when name.SequenceEqual("data"u8) => Name.Data,
        4 when name.SequenceEqual("file"u8) => Name.File,
        6 when name.SequenceEqual("source"u8) => Name.Source,
        7 when name.SequenceEqual("file_id"u8) => Name.FileReference,
        8 when name.SequenceEqual("file_url"u8) => Name.FileReference,
        9 when name.SequenceEqual("image_url"u8) => Name.ImageUrl,
        9 when name.SequenceEqual("file_data"u8) => Name.FileData,
        11 when name.SequenceEqual("input_audio"u8) => Name.InputAudio,
        _ => Name.Other,
    };

    /// <summary>The object whose <c>"type"</c> string the reader is on.</summary>
    private static Frame Typed(ref Utf8JsonReader reader, Frame current)
    {
        if (current.Holder == Name.Source)
        {
            // Anthropic's source: "base64" and "text" carry the content; "url" and "file" only refer to it.
            return reader.ValueTextEquals("url"u8) || reader.ValueTextEquals("file"u8) ? current with { Reference = true }
                : reader.ValueTextEquals("base64"u8) ? current with { Base64 = true }
                : current;
        }

        if (reader.ValueTextEquals("image_url"u8) || reader.ValueTextEquals("image"u8) || reader.ValueTextEquals("input_image"u8))
        {
            return current with { Kind = Part.Image };
        }

        return reader.ValueTextEquals("document"u8) || reader.ValueTextEquals("file"u8) || reader.ValueTextEquals("input_file"u8)
            ? current with { Kind = Part.Document }
            : reader.ValueTextEquals("input_audio"u8) ? current with { Kind = Part.Audio } : current;
    }

    /// <summary>
    /// The object whose <c>image_url</c>, <c>url</c>, <c>data</c> or <c>file_data</c> string the reader is on: image data
    /// where the formats put it (the part's own <c>image_url</c>, <c>url</c> in its <c>image_url</c> object, <c>data</c> in its
    /// <c>source</c>), a PDF where they put it (<c>data</c> in a <c>source</c>, <c>file_data</c> in the part or its <c>file</c>), an
    /// audio clip where they put it (<c>data</c> in an <c>input_audio</c>).
    /// </summary>
    private static Frame Held(ref Utf8JsonReader reader, Name name, Frame current)
    {
        var at = checked((int)reader.TokenStartIndex + 1); // past the opening quote: the value as the body spells it
        switch (name, current.Holder)
        {
            case (Name.ImageUrl, Name.Other) or (Name.Url, Name.ImageUrl):
                return InlineImageData.OfDataUrl(reader.ValueSpan, at) is { } image ? current with { Data = image } : current;
            case (Name.Data, Name.Source):
                var (payload, kind) = InlineImageData.Classify(reader.ValueSpan, at);
                return payload is null ? current
                    : kind == InlineImageData.Kind.Image ? current with { Data = payload }
                    : kind == InlineImageData.Kind.Pdf ? current with { Pdf = payload } : current;
            case (Name.Data, Name.InputAudio):
                return InlineImageData.OfBase64(reader.ValueSpan, at, InlineImageData.Kind.Audio) is { } clip ? current with { Audio = clip } : current;
            case (Name.FileData, Name.Other or Name.File):
                return InlineImageData.OfDataUrl(reader.ValueSpan, at, InlineImageData.Kind.Pdf) is { } pdf ? current with { Pdf = pdf } : current;
            default:
                return current;
        }
    }
}
