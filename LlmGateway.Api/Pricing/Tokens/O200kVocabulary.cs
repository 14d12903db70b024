using System.Globalization;
using System.IO.Compression;
using System.IO.Hashing;
using System.Numerics;
using System.Reflection;
using System.Text;

namespace LlmGateway.Api.Pricing.Tokens;

/// <summary>
/// The o200k_base ranks, held compactly: every token's bytes in one array in rank order, their offsets, an open-addressing
/// table of ranks keyed by a hash of the bytes, and the tokens of up to 7 bytes packed one per word (about 6.5 MB in all,
/// where a dictionary of 200k byte arrays takes ~40). Read from the tiktoken file that
/// <c>Microsoft.ML.Tokenizers.Data.O200kBase</c> embeds.
/// </summary>
internal sealed class O200kVocabulary
{
    private const string DataAssembly = "Microsoft.ML.Tokenizers.Data.O200kBase";
    private const string Resource = "o200k_base.tiktoken.deflate";

    private readonly byte[] bytes;
    private readonly int[] offsets; // token r is bytes[offsets[r]..offsets[r + 1]]
    private readonly int[] table;   // rank + 1 by hash, 0 = empty
    private readonly int mask;
    private readonly ulong[] shortTokens; // the tokens of up to 7 bytes, packed (PackShort), by hash; 0 = empty
    private readonly int shortMask;

    private O200kVocabulary(byte[] bytes, int[] offsets, int count)
    {
        (this.bytes, this.offsets, Count) = (bytes, offsets, count);
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)(count * 2 + 2));
        table = new int[size];
        mask = size - 1;
        var shortCount = 0;
        for (var rank = 0; rank < count; rank++)
        {
            Add(rank);
            shortCount += BytesOf(rank).Length <= ShortBytes ? 1 : 0;
        }

        shortTokens = new ulong[(int)BitOperations.RoundUpToPowerOf2((uint)(shortCount * 3 / 2 + 2))]; // at most two thirds full
        shortMask = shortTokens.Length - 1;
        for (var rank = 0; rank < count; rank++)
        {
            if (BytesOf(rank) is { Length: <= ShortBytes } token)
            {
                var key = PackShort(token);
                var slot = ShortSlot(key);
                while (shortTokens[slot] != 0)
                {
                    slot = (slot + 1) & shortMask;
                }

                shortTokens[slot] = key;
            }
        }
    }

    /// <summary>Tokens this long or shorter are also kept packed in one word each, so "is this a token" reads one slot.</summary>
    private const int ShortBytes = 7;

    /// <summary>Ranks 0..Count-1.</summary>
    public int Count { get; }

    public static O200kVocabulary Load()
    {
        using var stream = Assembly.Load(new AssemblyName(DataAssembly)).GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"{DataAssembly} has no resource {Resource}.");
        using var inflate = new DeflateStream(stream, CompressionMode.Decompress);
        return Parse(new StreamReader(inflate, Encoding.ASCII));
    }

    /// <summary>
    /// The tiktoken format, read a line at a time (no copy of the whole file is held): a line per token in rank order,
    /// "base64 rank", or (the package's form, after a "Capacity: n" line) just the base64.
    /// </summary>
    internal static O200kVocabulary Parse(TextReader lines)
    {
        var offsets = new int[200_001];
        var bytes = new byte[1_500_000];
        var (count, used) = (0, 0);
        Span<byte> token = stackalloc byte[1024];
        while (lines.ReadLine() is { } line)
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal))
            {
                continue;
            }

            var space = line.IndexOf(' ');
            var base64 = space >= 0 ? line.AsSpan(0, space) : line;
            if ((space >= 0 && (!int.TryParse(line.AsSpan(space + 1), CultureInfo.InvariantCulture, out var rank) || rank != count))
                || !Convert.TryFromBase64Chars(base64, token, out var written) || written == 0)
            {
                throw new InvalidDataException($"o200k_base: line {count + 1} is not 'base64 [rank]' in rank order.");
            }

            if (count + 2 > offsets.Length || used + written > bytes.Length)
            {
                Array.Resize(ref offsets, offsets.Length * 5 / 4 + 2);
                Array.Resize(ref bytes, bytes.Length * 5 / 4 + written);
            }

            token[..written].CopyTo(bytes.AsSpan(used));
            used += written;
            offsets[++count] = used;
        }

        return new O200kVocabulary(bytes, offsets, count);
    }

    /// <summary>The bytes of <paramref name="rank"/>; empty for a rank outside the vocabulary.</summary>
    public ReadOnlySpan<byte> BytesOf(int rank) =>
        (uint)rank < (uint)Count ? bytes.AsSpan(offsets[rank], offsets[rank + 1] - offsets[rank]) : default;

    /// <summary>
    /// Whether exactly these bytes are a token. A short piece (most of a text's) is found in the packed table, its bytes in
    /// the slot itself: one memory read where <see cref="RankOf"/> makes three (slot, offsets, bytes) — a request's small
    /// body is counted on its path with the vocabulary mostly out of the CPU's caches.
    /// </summary>
    public bool IsToken(ReadOnlySpan<byte> piece)
    {
        if (piece.Length > ShortBytes)
        {
            return RankOf(piece) >= 0;
        }

        var key = PackShort(piece);
        for (var slot = ShortSlot(key); ; slot = (slot + 1) & shortMask)
        {
            if (shortTokens[slot] == key)
            {
                return true;
            }

            if (shortTokens[slot] == 0)
            {
                return false;
            }
        }
    }

    /// <summary>The length in the top byte, the bytes below it: never 0 for a piece of at least one byte.</summary>
    private static ulong PackShort(ReadOnlySpan<byte> piece)
    {
        ulong key = (ulong)piece.Length << 56;
        for (var i = 0; i < piece.Length; i++)
        {
            key |= (ulong)piece[i] << (i * 8);
        }

        return key;
    }

    private int ShortSlot(ulong key) => (int)((key * 0x9E3779B97F4A7C15UL) >> 40) & shortMask;

    /// <summary>The rank of exactly these bytes, or -1.</summary>
    public int RankOf(ReadOnlySpan<byte> token)
    {
        for (var slot = Hash(token) & mask; ; slot = (slot + 1) & mask)
        {
            var entry = table[slot];
            if (entry == 0)
            {
                return -1;
            }

            var rank = entry - 1;
            if (offsets[rank + 1] - offsets[rank] == token.Length && bytes.AsSpan(offsets[rank], token.Length).SequenceEqual(token))
            {
                return rank;
            }
        }
    }

    private void Add(int rank)
    {
        var slot = Hash(BytesOf(rank)) & mask;
        while (table[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        table[slot] = rank + 1;
    }

    private static int Hash(ReadOnlySpan<byte> token) => (int)XxHash3.HashToUInt64(token);
}
