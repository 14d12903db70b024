using System.Buffers;
using System.Buffers.Text;
using System.IO.Compression;
using System.IO.Hashing;
using System.Numerics;
using System.Reflection;

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

    private O200kVocabulary(byte[] bytes, int[] offsets)
    {
        this.bytes = bytes;
        this.offsets = offsets;
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)(offsets.Length * 2));
        table = new int[size];
        mask = size - 1;
        for (var rank = 0; rank < offsets.Length - 1; rank++)
        {
            if (offsets[rank + 1] > offsets[rank])
            {
                Add(rank);
            }
        }
    }

    /// <summary>Ranks 0..Count-1; a rank the file leaves out has no bytes.</summary>
    public int Count => offsets.Length - 1;

    public static O200kVocabulary Load()
    {
        using var stream = Assembly.Load(new AssemblyName(DataAssembly)).GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"{DataAssembly} has no resource {Resource}.");
        using var inflate = new DeflateStream(stream, CompressionMode.Decompress);
        using var text = new MemoryStream();
        inflate.CopyTo(text);
        return Parse(text.GetBuffer().AsSpan(0, (int)text.Length));
    }

    /// <summary>
    /// The tiktoken format: a line per token, "base64 rank", or (the package's form, after a "Capacity: n" line) just the
    /// base64, its rank the line's place.
    /// </summary>
    internal static O200kVocabulary Parse(ReadOnlySpan<byte> file)
    {
        var pool = new byte[file.Length]; // token bytes are shorter than their base64
        var ranks = new List<(int Rank, int Start, int Length)>(file.Count((byte)'\n') + 1);
        var used = 0;
        foreach (var range in file.Split((byte)'\n'))
        {
            var line = file[range].TrimEnd((byte)'\r');
            if (line.IsEmpty || line.StartsWith("Capacity:"u8))
            {
                continue;
            }

            var space = line.IndexOf((byte)' ');
            var rank = ranks.Count;
            if ((space >= 0 && !Utf8Parser.TryParse(line[(space + 1)..], out rank, out _)) || rank < 0
                || Base64.DecodeFromUtf8(space >= 0 ? line[..space] : line, pool.AsSpan(used), out _, out var written) != OperationStatus.Done)
            {
                throw new InvalidDataException("o200k_base: a line is not 'base64 [rank]'.");
            }

            ranks.Add((rank, used, written));
            used += written;
        }

        return Build(pool, ranks);
    }

    private static O200kVocabulary Build(byte[] pool, List<(int Rank, int Start, int Length)> ranks)
    {
        var count = ranks.Max(r => r.Rank) + 1;
        ranks.Sort((a, b) => a.Rank.CompareTo(b.Rank));
        var bytes = new byte[ranks.Sum(r => r.Length)];
        var offsets = new int[count + 1];
        var at = 0;
        var next = 0;
        for (var rank = 0; rank < count; rank++)
        {
            offsets[rank] = at;
            if (next < ranks.Count && ranks[next].Rank == rank)
            {
                pool.AsSpan(ranks[next].Start, ranks[next].Length).CopyTo(bytes.AsSpan(at));
                at += ranks[next].Length;
                next++;
            }
        }

        offsets[count] = at;
        return new O200kVocabulary(bytes, offsets);
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
