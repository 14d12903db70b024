using System.Globalization;
using System.IO.Compression;
using System.IO.Hashing;
using System.Numerics;
using System.Reflection;
using System.Text;

namespace LlmGateway.Api.Pricing.Tokens;

/// <summary>
/// The o200k_base ranks, held compactly: every token's bytes in one array in rank order, their offsets, and an
/// open-addressing table of ranks keyed by a hash of the bytes (about 5 MB in all, where a dictionary of 200k byte
/// arrays takes ~40). Read from the tiktoken file that <c>Microsoft.ML.Tokenizers.Data.O200kBase</c> embeds.
/// </summary>
internal sealed class O200kVocabulary
{
    private const string DataAssembly = "Microsoft.ML.Tokenizers.Data.O200kBase";
    private const string Resource = "o200k_base.tiktoken.deflate";

    private readonly byte[] bytes;
    private readonly int[] offsets; // token r is bytes[offsets[r]..offsets[r + 1]]
    private readonly int[] table;   // rank + 1 by hash, 0 = empty
    private readonly int mask;

    private O200kVocabulary(byte[] bytes, int[] offsets, int count)
    {
        (this.bytes, this.offsets, Count) = (bytes, offsets, count);
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)(count * 2 + 2));
        table = new int[size];
        mask = size - 1;
        for (var rank = 0; rank < count; rank++)
        {
            Add(rank);
        }
    }

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
