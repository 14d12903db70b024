using System.Buffers;
using System.Text;

namespace LlmGateway.Api.Pricing.Tokens;

/// <summary>
/// The o200k tokens of a whole request body, chunk by chunk (<see cref="ContentChunks"/>), each chunk's count kept in a
/// <see cref="ChunkCountCache"/>: a coding agent resends its growing conversation every turn, and only the chunks that
/// changed are counted again. A pre-token a cut splits is counted as two pieces, so the sum differs from the whole count by
/// about a token per chunk, almost always upwards. Past <see cref="CeilingBytes"/> the body's byte count stands in: no
/// o200k token is shorter than a byte, so it is never lower than the count.
/// </summary>
internal sealed class BodyTokens(O200kCounter counter, ChunkCountCache cache)
{
    public const int CeilingBytes = 4 * 1024 * 1024;

    public ChunkCountCache Cache => cache;

    public long Count(ReadOnlySpan<byte> body) => Count(body, out _);

    public long Count(ReadOnlySpan<byte> body, out int chunks)
    {
        chunks = 1;
        if (body.Length > CeilingBytes)
        {
            return body.Length;
        }

        if (body.Length <= ContentChunks.MinBytes)
        {
            return CountChunk(body); // one chunk; not worth a cache entry
        }

        long total = 0;
        chunks = 0;
        while (!body.IsEmpty)
        {
            var chunk = body[..ContentChunks.NextLength(body)];
            if (!cache.TryGet(chunk, out var key, out var count))
            {
                count = CountChunk(chunk);
                cache.Add(key, count);
            }

            total += count;
            chunks++;
            body = body[chunk.Length..];
        }

        return total;
    }

    /// <summary>The count of one run of bytes, decoded as UTF-8 (invalid bytes as U+FFFD) into a pooled buffer.</summary>
    public int CountChunk(ReadOnlySpan<byte> bytes)
    {
        var chars = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(bytes.Length));
        try
        {
            return counter.Count(chars.AsSpan(0, Encoding.UTF8.GetChars(bytes, chars)));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }
}
