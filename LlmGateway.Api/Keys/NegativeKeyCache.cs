namespace LlmGateway.Api.Keys;

/// <summary>Key hashes recently found unknown, each for a short TTL; bounded, the least recently used forgotten first.</summary>
public sealed class NegativeKeyCache(int capacity, TimeSpan ttl)
{
    private readonly Dictionary<string, LinkedListNode<(string Hash, DateTimeOffset ExpiresAt)>> index = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Hash, DateTimeOffset ExpiresAt)> order = new();
    private readonly Lock gate = new();

    public int Count
    {
        get
        {
            lock (gate)
            {
                return index.Count;
            }
        }
    }

    /// <summary>True while <paramref name="hash"/> is remembered as unknown.</summary>
    public bool Contains(string hash, DateTimeOffset now)
    {
        lock (gate)
        {
            if (!index.TryGetValue(hash, out var node))
            {
                return false;
            }

            if (node.Value.ExpiresAt <= now)
            {
                RemoveNode(node);
                return false;
            }

            order.Remove(node);
            order.AddFirst(node);
            return true;
        }
    }

    public void Add(string hash, DateTimeOffset now)
    {
        if (capacity <= 0)
        {
            return;
        }

        lock (gate)
        {
            if (index.TryGetValue(hash, out var existing))
            {
                RemoveNode(existing);
            }

            index[hash] = order.AddFirst((hash, now + ttl));
            while (index.Count > capacity)
            {
                RemoveNode(order.Last!);
            }
        }
    }

    public void Remove(string hash)
    {
        lock (gate)
        {
            if (index.TryGetValue(hash, out var node))
            {
                RemoveNode(node);
            }
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            index.Clear();
            order.Clear();
        }
    }

    private void RemoveNode(LinkedListNode<(string Hash, DateTimeOffset ExpiresAt)> node)
    {
        order.Remove(node);
        index.Remove(node.Value.Hash);
    }
}
