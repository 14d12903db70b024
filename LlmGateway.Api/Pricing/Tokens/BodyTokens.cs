using System.Buffers;
using System.Text;

namespace LlmGateway.Api.Pricing.Tokens;

/// <summary>
/// The o200k tokens of a whole request body, chunk by chunk (<see cref="ContentChunks"/>), each chunk's count kept in a
/// <see cref="ChunkCountCache"/>: a coding agent resends its growing conversation every turn, and only the chunks that
/// changed are counted again. A pre-token a cut splits is counted as two pieces, so the sum differs from the whole count by
/// about a token per chunk, almost always upwards. Past <see cref="CeilingBytes"/> the body's byte count stands in: no
/// o200k token is shorter than a byte, so it is never lower than the count; the same ceiling stands in for the pieces past
/// the <see cref="MergeAllowanceBytes"/>.
/// </summary>
internal sealed class BodyTokens(O200kCounter counter, ChunkCountCache cache)
{
    public const int CeilingBytes = 4 * 1024 * 1024;

    /// <summary>
    /// How many bytes of one body may go through byte-pair merging (pieces that are not whole tokens); the pieces past it
    /// count as their byte count. Ordinary bodies merge a fraction of their bytes (a 130 KB coding-agent turn well under
    /// this); a hostile one — megabytes of letters without a space, each piece a long merge — is bounded by it instead of
    /// costing the gateway a second or more of CPU (docs/benchmarks.md).
    /// </summary>
    public const int MergeAllowanceBytes = 256 * 1024;

    public ChunkCountCache Cache => cache;

    public long Count(ReadOnlySpan<byte> body) => Count(body, out _);

    public long Count(ReadOnlySpan<byte> body, out int chunks)
    {
        chunks = 0;
        if (body.Length > CeilingBytes)
        {
            chunks = 1;
            return body.Length;
        }

        var allowance = MergeAllowanceBytes;
        return CountSegment(body, ref allowance, ref chunks);
    }

    /// <summary>
    /// The count of <paramref name="body"/> without the <paramref name="skipped"/> ranges (in order, not overlapping): inline
    /// image data, which is not prompt text. Each run between them is chunked on its own, so a screenshot resent the next turn
    /// leaves the text around it cached; the ceiling and the merge allowance apply to the bytes counted.
    /// </summary>
    public long Count(ReadOnlySpan<byte> body, IReadOnlyList<Range> skipped)
    {
        var counted = body.Length;
        foreach (var range in skipped)
        {
            counted -= range.GetOffsetAndLength(body.Length).Length;
        }

        if (counted > CeilingBytes)
        {
            return counted;
        }

        var (allowance, chunks, at) = (MergeAllowanceBytes, 0, 0);
        long total = 0;
        foreach (var range in skipped)
        {
            var (start, length) = range.GetOffsetAndLength(body.Length);
            total += CountSegment(body[at..start], ref allowance, ref chunks);
            at = start + length;
        }

        return total + CountSegment(body[at..], ref allowance, ref chunks);
    }

    private long CountSegment(ReadOnlySpan<byte> body, ref int allowance, ref int chunks)
    {
        if (body.Length <= ContentChunks.MinBytes)
        {
            chunks++;
            return body.IsEmpty ? 0 : CountChunk(body, ref allowance); // one chunk; not worth a cache entry
        }

        long total = 0;
        while (!body.IsEmpty)
        {
            var chunk = body[..ContentChunks.NextLength(body)];
            if (!cache.TryGet(chunk, out var key, out var count))
            {
                count = CountChunk(chunk, ref allowance);
                if (allowance >= 0)
                {
                    cache.Add(key, count); // an exact count only: one past the allowance is a ceiling, not the chunk's count
                }
            }

            total += count;
            chunks++;
            body = body[chunk.Length..];
        }

        return total;
    }

    /// <summary>The count of one run of bytes: ASCII as it is, else decoded as UTF-8 (invalid bytes as U+FFFD) into a pooled buffer.</summary>
    private int CountChunk(ReadOnlySpan<byte> bytes, ref int mergeBytes)
    {
        if (Ascii.IsValid(bytes))
        {
            return counter.CountAscii(bytes, ref mergeBytes);
        }

        var chars = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(bytes.Length));
        try
        {
            return counter.Count(chars.AsSpan(0, Encoding.UTF8.GetChars(bytes, chars)), ref mergeBytes);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
