using System.Buffers.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LlmGateway.Api.Spend;

/// <summary>
/// The events this replica added to the usage stream, by stream entry id, so that its own ledger writer takes the
/// <see cref="UsageEvent"/> it already has instead of parsing the entry's JSON. Only a shortcut: the stream stays the
/// durable queue, and an entry not found here (another replica's, added before a restart, evicted) is parsed as before.
/// Holds at most <see cref="SpendLedgerOptions.HandoffCapacity"/> events. When full it keeps the oldest and takes no more:
/// the writer reads the stream oldest first, so after a backlog the events it reads next are the ones still held (dropping
/// the oldest instead made it parse every event of a backlog larger than the capacity, and fall further behind).
/// </summary>
internal sealed class UsageHandoff(IOptions<SpendLedgerOptions> options)
{
    private readonly int capacity = options.Value.HandoffCapacity;
    private readonly Lock gate = new();
    private readonly Dictionary<StreamEntryId, UsageEvent> events = [];
    private readonly Queue<StreamEntryId> order = new(); // ids in the order they were added (XADD order, give or take a few)
    private long taken;

    /// <summary>Events the writer took from here instead of parsing them, since start-up.</summary>
    public long Taken => Interlocked.Read(ref taken);

    public int Count
    {
        get
        {
            lock (gate)
            {
                return events.Count;
            }
        }
    }

    /// <summary>The recorder's XADD answered with <paramref name="id"/>.</summary>
    public void Added(RedisValue id, UsageEvent usage)
    {
        if (capacity > 0 && StreamEntryId.TryParse(id, out var entry))
        {
            Add(entry, usage);
        }
    }

    /// <summary>The event of an entry this replica added, removed from the handoff; null when it is not held here.</summary>
    public UsageEvent? Take(RedisValue id)
    {
        if (capacity == 0 || !StreamEntryId.TryParse(id, out var entry))
        {
            return null;
        }

        lock (gate)
        {
            if (!events.Remove(entry, out var usage))
            {
                return null;
            }

            taken++;
            return usage;
        }
    }

    /// <summary>A batch that was not written is handed back, for the writer's next read of its pending entries.</summary>
    public void Return(RedisValue id, UsageEvent usage) => Added(id, usage);

    /// <summary>
    /// The group delivered new entries from <paramref name="firstId"/> on: every entry before it was delivered already, to this
    /// replica (and taken) or to another one (which parses it), so what is still held below it is dropped.
    /// </summary>
    public void DeliveredFrom(RedisValue firstId)
    {
        if (capacity == 0 || !StreamEntryId.TryParse(firstId, out var first))
        {
            return;
        }

        lock (gate)
        {
            while (order.TryPeek(out var oldest) && oldest.CompareTo(first) < 0)
            {
                events.Remove(order.Dequeue());
            }
        }
    }

    private void Add(StreamEntryId id, UsageEvent usage)
    {
        lock (gate)
        {
            while (order.TryPeek(out var oldest) && !events.ContainsKey(oldest))
            {
                order.Dequeue(); // taken already
            }

            if (events.Count >= capacity)
            {
                return; // full: the writer parses this one when it gets there
            }

            order.Enqueue(id);
            events[id] = usage;
        }
    }
}

/// <summary>A stream entry id, <c>milliseconds-sequence</c>, as two numbers: ordered like Redis orders them, parsed without allocating.</summary>
internal readonly record struct StreamEntryId(ulong Milliseconds, ulong Sequence) : IComparable<StreamEntryId>
{
    public int CompareTo(StreamEntryId other) =>
        Milliseconds != other.Milliseconds ? Milliseconds.CompareTo(other.Milliseconds) : Sequence.CompareTo(other.Sequence);

    public static bool TryParse(RedisValue value, out StreamEntryId id)
    {
        id = default;
        if (value.IsNullOrEmpty || value.GetByteCount() > 48)
        {
            return false;
        }

        Span<byte> text = stackalloc byte[48];
        text = text[..value.CopyTo(text)];
        var dash = text.IndexOf((byte)'-');
        if (dash <= 0 || !Utf8Parser.TryParse(text[..dash], out ulong ms, out var used) || used != dash
            || !Utf8Parser.TryParse(text[(dash + 1)..], out ulong seq, out used) || used != text.Length - dash - 1)
        {
            return false;
        }

        id = new StreamEntryId(ms, seq);
        return true;
    }
}
