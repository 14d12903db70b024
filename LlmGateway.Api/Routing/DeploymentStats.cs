using System.Collections.Concurrent;

namespace LlmGateway.Api.Routing;

/// <summary>This replica's live numbers per deployment: requests in flight and a moving average of time to first byte.</summary>
public sealed class DeploymentStats
{
    private const double Smoothing = 0.3;
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    public int InFlight(string id) => entries.TryGetValue(id, out var e) ? Volatile.Read(ref e.InFlight) : 0;

    /// <summary>Moving average in milliseconds; null before the first answer.</summary>
    public double? LatencyMs(string id) => entries.TryGetValue(id, out var e) && e.HasLatency ? e.LatencyMs : null;

    public IDisposable Start(string id)
    {
        var entry = entries.GetOrAdd(id, _ => new Entry());
        Interlocked.Increment(ref entry.InFlight);
        return new Release(entry);
    }

    public void RecordLatency(string id, TimeSpan latency)
    {
        var entry = entries.GetOrAdd(id, _ => new Entry());
        lock (entry)
        {
            entry.LatencyMs = entry.HasLatency ? entry.LatencyMs + Smoothing * (latency.TotalMilliseconds - entry.LatencyMs) : latency.TotalMilliseconds;
            entry.HasLatency = true;
        }
    }

    private sealed class Entry
    {
        public int InFlight;
        public double LatencyMs;
        public bool HasLatency;
    }

    private sealed class Release(Entry entry) : IDisposable
    {
        private int done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref done, 1) == 0)
            {
                Interlocked.Decrement(ref entry.InFlight);
            }
        }
    }
}
