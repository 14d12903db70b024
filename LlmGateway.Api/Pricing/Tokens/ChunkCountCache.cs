using System.IO.Hashing;
using System.Numerics;
using System.Security.Cryptography;

namespace LlmGateway.Api.Pricing.Tokens;

/// <summary>
/// Token counts of body chunks already seen, keyed by XxHash128 of the chunk's bytes under a seed drawn at start-up (a
/// client cannot aim a collision it cannot compute). Sets of four entries, the least recently used one replaced; 32 bytes
/// an entry, nothing allocated per lookup. Hits and misses are counted for the tests and the figures.
/// </summary>
internal sealed class ChunkCountCache
{
    private const int Ways = 4;
    private const int Stripes = 64;

    private readonly Entry[] entries;
    private readonly int setMask;
    private readonly long seed = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));
    private readonly Lock[] stripes = Enumerable.Range(0, Stripes).Select(_ => new Lock()).ToArray();
    private long clock;
    private long hits;
    private long misses;

    /// <param name="capacity">Entries at most (rounded down to a power of two, at least <c>4</c>); 0 turns the cache off.</param>
    public ChunkCountCache(int capacity)
    {
        var sets = capacity < Ways ? 0 : (int)BitOperations.RoundUpToPowerOf2((uint)(capacity / Ways + 1)) / 2;
        entries = new Entry[sets * Ways];
        setMask = sets - 1;
    }

    public int Capacity => entries.Length;

    public long Hits => Interlocked.Read(ref hits);

    public long Misses => Interlocked.Read(ref misses);

    public bool TryGet(ReadOnlySpan<byte> chunk, out UInt128 key, out int count)
    {
        key = XxHash128.HashToUInt128(chunk, seed);
        count = 0;
        if (entries.Length == 0)
        {
            return false;
        }

        var set = Set(key);
        lock (stripes[set & (Stripes - 1)])
        {
            for (var i = set * Ways; i < (set + 1) * Ways; i++)
            {
                if (entries[i].Used != 0 && entries[i].Key == key)
                {
                    entries[i].Used = Interlocked.Increment(ref clock);
                    count = entries[i].Count;
                    Interlocked.Increment(ref hits);
                    return true;
                }
            }
        }

        Interlocked.Increment(ref misses);
        return false;
    }

    public void Add(UInt128 key, int count)
    {
        if (entries.Length == 0)
        {
            return;
        }

        var set = Set(key);
        lock (stripes[set & (Stripes - 1)])
        {
            var oldest = set * Ways;
            for (var i = set * Ways; i < (set + 1) * Ways; i++)
            {
                if (entries[i].Used < entries[oldest].Used)
                {
                    oldest = i;
                }
            }

            entries[oldest] = new Entry { Key = key, Count = count, Used = Interlocked.Increment(ref clock) };
        }
    }

    private int Set(UInt128 key) => (int)(ulong)key & setMask;

    private struct Entry
    {
        public UInt128 Key;
        public long Used; // the clock at its last use; 0 = empty
        public int Count;
    }
}
