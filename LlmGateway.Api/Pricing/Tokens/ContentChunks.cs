namespace LlmGateway.Api.Pricing.Tokens;

/// <summary>
/// Cuts a body where its content says, not at fixed offsets, so that a conversation resent with more at its end (or
/// anywhere) keeps its earlier chunks byte for byte: a gear rolling hash over the last ~64 bytes marks a candidate past
/// <see cref="MinBytes"/>, and the chunk ends before the next space or newline (a pre-token starts there, so few are
/// split). A run without one is cut at <see cref="MaxBytes"/>, before an ASCII symbol if there is one near, else at a
/// character boundary: a chunk always decodes as the body's own characters.
/// </summary>
internal static class ContentChunks
{
    public const int MinBytes = 2 * 1024;
    public const int MaxBytes = 16 * 1024;
    private const int FallbackWindow = 256;

    // Expected ~4 KB past the minimum: candidates where the hash's top 12 bits are zero.
    private const int CandidateShift = 64 - 12;

    private static readonly ulong[] Gear = BuildGear();

    /// <summary>The length of the chunk <paramref name="body"/> starts with.</summary>
    public static int NextLength(ReadOnlySpan<byte> body)
    {
        if (body.Length <= MinBytes)
        {
            return body.Length;
        }

        var limit = Math.Min(body.Length, MaxBytes);
        ulong hash = 0;
        for (var i = MinBytes - 64; i < limit; i++)
        {
            hash = (hash << 1) + Gear[body[i]];
            if (i >= MinBytes && hash >> CandidateShift == 0 && body[i..limit].IndexOfAny((byte)' ', (byte)'\n') is var gap and >= 0)
            {
                return i + gap;
            }
        }

        return limit == body.Length ? limit : Fallback(body, limit);
    }

    private static int Fallback(ReadOnlySpan<byte> body, int limit)
    {
        var window = body[(limit - FallbackWindow)..limit];
        for (var i = window.Length - 1; i > 0; i--)
        {
            if (window[i] < 0x80 && !char.IsAsciiLetterOrDigit((char)window[i]))
            {
                return limit - FallbackWindow + i;
            }
        }

        var cut = limit;
        while (cut > limit - 4 && (body[cut] & 0xC0) == 0x80)
        {
            cut--; // not inside a UTF-8 sequence
        }

        return cut;
    }

    private static ulong[] BuildGear()
    {
        // Fixed, so chunk boundaries are the same in every replica; the cache key, not the cut, is what a client must not predict.
        var random = new Random(20_0004);
        var gear = new ulong[256];
        for (var i = 0; i < gear.Length; i++)
        {
            gear[i] = (ulong)random.NextInt64() ^ ((ulong)random.NextInt64() << 32);
        }

        return gear;
    }
}
