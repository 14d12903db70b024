using System.Buffers;
using System.Buffers.Text;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// Whether a string of an image part really is an inline image, and where its base64 payload lies in the body: the payload
/// is not prompt text (o200k reads base64 at ~0.7 tokens a byte, so a 1 MB screenshot would reserve ~0.9 M tokens), the
/// provider bills the picture (<see cref="PromptTokens.ImageTokens"/>). Only a value that is base64 and nothing else, whose
/// first bytes are a PNG, JPEG, GIF or WebP header (the formats OpenAI and Anthropic take), qualifies; anything else in the
/// field stays text, so a prompt hidden in an "image" does not shrink its own reservation.
/// </summary>
internal static class InlineImageData
{
    private static readonly SearchValues<byte> Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8);

    /// <summary>The payload of <c>data:image/…;base64,…</c> in <paramref name="value"/> (which starts at <paramref name="at"/> in the body).</summary>
    public static Range? OfDataUrl(ReadOnlySpan<byte> value, int at)
    {
        if (!value.StartsWith("data:image/"u8))
        {
            return null;
        }

        var comma = value.IndexOf((byte)',');
        return comma > 0 && value[..comma].EndsWith(";base64"u8) ? OfBase64(value[(comma + 1)..], at + comma + 1) : null;
    }

    /// <summary>The whole of <paramref name="value"/> (at <paramref name="at"/> in the body), when it is base64 of an image.</summary>
    public static Range? OfBase64(ReadOnlySpan<byte> value, int at)
    {
        var unpadded = value.TrimEnd((byte)'=');
        if (unpadded.Length < 16 || value.Length - unpadded.Length > 2 || unpadded.ContainsAnyExcept(Alphabet))
        {
            return null;
        }

        Span<byte> head = stackalloc byte[12];
        Base64.DecodeFromUtf8(value[..16], head, out _, out var written, isFinalBlock: false);
        return written == 12 && IsImageHeader(head) ? new Range(at, at + value.Length) : null;
    }

    private static bool IsImageHeader(ReadOnlySpan<byte> head) =>
        head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])
        || head.StartsWith("GIF8"u8)
        || (head.StartsWith("RIFF"u8) && head[8..].SequenceEqual("WEBP"u8));
}
