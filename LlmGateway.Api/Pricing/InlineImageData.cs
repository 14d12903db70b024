using System.Buffers;
using System.Buffers.Text;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// Whether a string of an image part really is an inline image, and where its base64 payload lies in the body: the payload
/// is not prompt text (o200k reads base64 at ~0.7 tokens a byte, so a 1 MB screenshot would reserve ~0.9 M tokens), the
/// provider bills the picture (<see cref="PromptTokens.ImageTokens"/>). Only a value that is base64 and nothing else, whose
/// first bytes are a PNG, JPEG, GIF or WebP header (the formats OpenAI and Anthropic take), qualifies; anything else in the
/// field stays text, so a prompt hidden in an "image" does not shrink its own reservation. The same test finds an inline
/// PDF (<see cref="Kind.Pdf"/>): its first bytes <c>%PDF-</c>; and an inline audio clip (<see cref="Kind.Audio"/>): a WAV
/// (<c>RIFF</c>…<c>WAVE</c>) or an MP3 (an <c>ID3</c> tag or a frame header), the formats OpenAI's <c>input_audio</c> takes. The value is read as the body
/// spells it: the only escapes taken are those of base64's own symbols (<c>\/</c>, and <c>\u002B</c> — System.Text.Json's
/// default encoder writes every <c>+</c> so, PHP every <c>/</c> as <c>\/</c>); any other escape makes it text.
/// </summary>
internal static class InlineImageData
{
    /// <summary>What a payload must begin with: an image's header, or a PDF's.</summary>
    public enum Kind : byte
    {
        Image,
        Pdf,
        Audio,
    }

    private static readonly SearchValues<byte> Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8);

    /// <summary>
    /// The payload of <c>data:image/…;base64,…</c> (<c>data:application/pdf;base64,…</c> for a PDF) in <paramref name="raw"/>
    /// (which starts at <paramref name="at"/> in the body).
    /// </summary>
    public static Range? OfDataUrl(ReadOnlySpan<byte> raw, int at, Kind kind = Kind.Image)
    {
        var prefixed = kind == Kind.Image
            ? raw.StartsWith("data:image/"u8) || raw.StartsWith("data:image\\/"u8)
            : raw.StartsWith("data:application/pdf;"u8) || raw.StartsWith("data:application\\/pdf;"u8);
        if (!prefixed)
        {
            return null;
        }

        var comma = raw.IndexOf((byte)',');
        return comma > 0 && raw[..comma].EndsWith(";base64"u8) ? OfBase64(raw[(comma + 1)..], at + comma + 1, kind) : null;
    }

    /// <summary>The whole of <paramref name="raw"/> (at <paramref name="at"/> in the body), when it is base64 of an image (or a PDF).</summary>
    public static Range? OfBase64(ReadOnlySpan<byte> raw, int at, Kind kind = Kind.Image) =>
        Classify(raw, at) is ({ } range, var found) && found == kind ? range : null;

    /// <summary>The whole of <paramref name="raw"/> (at <paramref name="at"/> in the body) when it is base64 of an image, a PDF or an audio clip, and which.</summary>
    public static (Range? Range, Kind Kind) Classify(ReadOnlySpan<byte> raw, int at)
    {
        Span<byte> head = stackalloc byte[16];
        var (filled, padding) = (0, 0);
        var rest = raw;
        while (!rest.IsEmpty)
        {
            var run = rest.IndexOfAnyExcept(Alphabet); // the common case: the whole value in one vectorised pass
            var plain = run < 0 ? rest : rest[..run];
            if (!plain.IsEmpty && padding > 0)
            {
                return default; // data after the padding
            }

            var take = Math.Min(plain.Length, head.Length - filled);
            plain[..take].CopyTo(head[filled..]);
            filled += take;
            if (run < 0)
            {
                break;
            }

            var (symbol, used) = Symbol(rest[run..]);
            if (used == 0 || (symbol != '=' && padding > 0) || (symbol == '=' && ++padding > 2))
            {
                return default;
            }

            if (symbol != '=' && filled < head.Length)
            {
                head[filled++] = symbol;
            }

            rest = rest[(run + used)..];
        }

        Span<byte> bytes = stackalloc byte[12];
        if (filled != head.Length || Base64.DecodeFromUtf8(head, bytes, out _, out var written) != OperationStatus.Done || written != 12)
        {
            return default;
        }

        var range = new Range(at, at + raw.Length);
        return IsImageHeader(bytes) ? (range, Kind.Image) : bytes.StartsWith("%PDF-"u8) ? (range, Kind.Pdf)
            : IsAudioHeader(bytes) ? (range, Kind.Audio) : default;
    }

    /// <summary>The base64 symbol <paramref name="raw"/> starts with (not in <see cref="Alphabet"/>: '=' or an escape), and its length.</summary>
    private static (byte Symbol, int Length) Symbol(ReadOnlySpan<byte> raw) => raw switch
    {
        [(byte)'=', ..] => ((byte)'=', 1),
        [(byte)'\\', (byte)'/', ..] => ((byte)'/', 2),
        [(byte)'\\', (byte)'u', (byte)'0', (byte)'0', (byte)'2', (byte)'B' or (byte)'b', ..] => ((byte)'+', 6),
        [(byte)'\\', (byte)'u', (byte)'0', (byte)'0', (byte)'2', (byte)'F' or (byte)'f', ..] => ((byte)'/', 6),
        [(byte)'\\', (byte)'u', (byte)'0', (byte)'0', (byte)'3', (byte)'D' or (byte)'d', ..] => ((byte)'=', 6),
        _ => (0, 0),
    };

    /// <summary>A WAV's RIFF header, an MP3's ID3 tag, or an MPEG audio frame header (11 sync bits, a layer that is not reserved).</summary>
    private static bool IsAudioHeader(ReadOnlySpan<byte> head) =>
        (head.StartsWith("RIFF"u8) && head[8..].SequenceEqual("WAVE"u8))
        || head.StartsWith("ID3"u8)
        || (head[0] == 0xFF && (head[1] & 0xE0) == 0xE0 && (head[1] & 0x06) != 0);

    private static bool IsImageHeader(ReadOnlySpan<byte> head) =>
        head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])
        || head.StartsWith("GIF8"u8)
        || (head.StartsWith("RIFF"u8) && head[8..].SequenceEqual("WEBP"u8));
}
