using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace LlmGateway.Api.Pricing.Tokens;

/// <summary>
/// o200k_base token counts and decoding without an id list: special tokens split out, then tiktoken's o200k pre-tokenizer
/// pattern (on ASCII text by hand, <see cref="AsciiPreTokens"/>: the same pieces without decoding or the regex engine),
/// then each piece counted as one token when it is one, else by <see cref="BytePairMerge"/>. Its counts are
/// Microsoft.ML.Tokenizers' <c>CountTokens</c> (checked against it in the tests, which keep that library as the reference).
/// </summary>
internal sealed partial class O200kCounter(O200kVocabulary vocabulary)
{
    private const int StackBytes = 512;

    // o200k_base's special tokens, counted as one token where they appear in the text.
    private static readonly (string Text, int Id)[] Specials = [("<|endoftext|>", 199_999), ("<|endofprompt|>", 200_018)];
    private static readonly byte[][] SpecialBytes = [.. Specials.Select(special => Encoding.ASCII.GetBytes(special.Text))];

    /// <summary>199,998 ordinary tokens, then the special ones up to &lt;|endofprompt|&gt;.</summary>
    public const int IdLimit = 200_019;

    public int Count(ReadOnlySpan<char> text)
    {
        var unlimited = int.MaxValue;
        return Count(text, ref unlimited);
    }

    /// <summary>
    /// The count, merging at most <paramref name="mergeBytes"/> bytes of pieces that need byte-pair merging (decremented):
    /// a piece past the allowance counts as its byte count, a ceiling (no token is shorter than a byte), and the allowance
    /// becomes -1 so the caller knows the count is no longer exact. Bounds the CPU a hostile text can cost.
    /// </summary>
    public int Count(ReadOnlySpan<char> text, ref int mergeBytes)
    {
        var total = 0;
        while (!text.IsEmpty)
        {
            var (at, length) = NextSpecial(text);
            total += CountOrdinary(text[..at], ref mergeBytes);
            if (length == 0)
            {
                break;
            }

            total++;
            text = text[(at + length)..];
        }

        return total;
    }

    /// <summary>
    /// <see cref="Count(ReadOnlySpan{char}, ref int)"/> of ASCII text (every byte below 0x80), read as bytes: the same
    /// pieces (<see cref="AsciiPreTokens"/>), without decoding it or running the regex.
    /// </summary>
    public int CountAscii(ReadOnlySpan<byte> text, ref int mergeBytes)
    {
        var total = 0;
        while (!text.IsEmpty)
        {
            var (at, length) = NextSpecial(text);
            var ordinary = text[..at];
            for (var start = 0; start < ordinary.Length;)
            {
                var end = AsciiPreTokens.End(ordinary, start);
                total += CountPiece(ordinary[start..end], ref mergeBytes);
                start = end;
            }

            if (length == 0)
            {
                break;
            }

            total++;
            text = text[(at + length)..];
        }

        return total;
    }

    /// <summary>The text of <paramref name="ids"/>; null when one is not a token.</summary>
    public string? Decode(IReadOnlyList<int> ids)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var id in ids)
        {
            var bytes = vocabulary.BytesOf(id);
            if (bytes.IsEmpty)
            {
                if (Array.FindIndex(Specials, s => s.Id == id) is var special and >= 0)
                {
                    Encoding.UTF8.GetBytes(Specials[special].Text, writer);
                    continue;
                }

                return null;
            }

            writer.Write(bytes);
        }

        return Encoding.UTF8.GetString(writer.WrittenSpan);
    }

    private static (int At, int Length) NextSpecial(ReadOnlySpan<char> text)
    {
        var from = 0;
        while (text[from..].IndexOf("<|endof", StringComparison.Ordinal) is var found and >= 0)
        {
            var at = from + found;
            foreach (var (special, _) in Specials)
            {
                if (text[at..].StartsWith(special, StringComparison.Ordinal))
                {
                    return (at, special.Length);
                }
            }

            from = at + 1;
        }

        return (text.Length, 0);
    }

    private static (int At, int Length) NextSpecial(ReadOnlySpan<byte> text)
    {
        var from = 0;
        while (text[from..].IndexOf("<|endof"u8) is var found and >= 0)
        {
            var at = from + found;
            foreach (var special in SpecialBytes)
            {
                if (text[at..].StartsWith(special))
                {
                    return (at, special.Length);
                }
            }

            from = at + 1;
        }

        return (text.Length, 0);
    }

    private int CountOrdinary(ReadOnlySpan<char> text, ref int mergeBytes)
    {
        var total = 0;
        foreach (var match in PreTokens().EnumerateMatches(text))
        {
            total += CountPiece(text.Slice(match.Index, match.Length), ref mergeBytes);
        }

        return total;
    }

    private int CountPiece(ReadOnlySpan<char> piece, ref int mergeBytes)
    {
        if (piece.Length == 1 && piece[0] < 0x80)
        {
            return 1;
        }

        var size = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rented = null;
        Span<byte> buffer = size <= StackBytes ? stackalloc byte[StackBytes] : (rented = ArrayPool<byte>.Shared.Rent(size));
        try
        {
            return CountPiece(buffer[..Encoding.UTF8.GetBytes(piece, buffer)], ref mergeBytes);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private int CountPiece(ReadOnlySpan<byte> bytes, ref int mergeBytes) =>
        bytes.Length == 1 || vocabulary.IsToken(bytes) ? 1
        : bytes.Length == 2 ? 2
        : Merge(bytes, ref mergeBytes);

    private int Merge(ReadOnlySpan<byte> bytes, ref int mergeBytes)
    {
        if (bytes.Length > mergeBytes)
        {
            mergeBytes = -1;
            return bytes.Length;
        }

        mergeBytes -= bytes.Length;
        return BytePairMerge.Count(vocabulary, bytes);
    }

    // tiktoken's o200k_base pattern: words with an optional leading symbol and contraction (split at case changes),
    // digits in threes, symbol runs, newlines with the spaces before them, and other whitespace.
    [GeneratedRegex(
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        + @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        + @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")]
    internal static partial Regex PreTokens();
}
