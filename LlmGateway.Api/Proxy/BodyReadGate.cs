using System.Diagnostics.Metrics;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// Bounds what slow or large request bodies can hold: at most <see cref="ProxyOptions.MaxBodiesInFlight"/> bodies
/// are read at once (beyond it a 503 with <c>Retry-After</c>), at most <see cref="ProxyOptions.MaxBodiesInFlightPerKey"/>
/// of them for one virtual key (NoisyNeighbourAttackTests: one key trickling bodies held every slot, and every other
/// tenant got the 503), each within <see cref="ProxyOptions.RequestBodyTimeoutSeconds"/>.
/// Counts the bytes their buffers hold, so a trickling client pins only what it has sent.
/// </summary>
public sealed class BodyReadGate(ProxyOptions options)
{
    private readonly int perKey = Math.Max(1, options.MaxBodiesInFlightPerKey ?? options.MaxBodiesInFlight / 4);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> readingByKey = new(StringComparer.Ordinal);

    private static readonly UpDownCounter<long> BufferedMetric = GatewayTelemetry.Meter.CreateUpDownCounter<long>(
        "llmgateway.request_body.buffered", "By", "Bytes of pooled buffers held by request bodies being read or handled.");

    private static readonly Counter<long> RefusedMetric = GatewayTelemetry.Meter.CreateCounter<long>(
        "llmgateway.request_body.refused", "{request}", "Request bodies refused: too many in flight (overloaded) or too slow (timeout).");

    private int reading;
    private long buffered;

    public TimeSpan Timeout { get; } = TimeSpan.FromSeconds(options.RequestBodyTimeoutSeconds);

    /// <summary>Bodies being read now.</summary>
    public int Reading => Volatile.Read(ref reading);

    /// <summary>Bytes the buffers of this replica's request bodies hold now.</summary>
    public long BufferedBytes => Interlocked.Read(ref buffered);

    /// <summary>
    /// Takes a reading slot for <paramref name="key"/> (a virtual key's id; null: the master key, not limited per key);
    /// false (and nothing taken) when every slot, or the key's share, is busy.
    /// </summary>
    public bool TryEnter(string? key)
    {
        if (key is not null && readingByKey.AddOrUpdate(key, 1, (_, held) => held + 1) > perKey)
        {
            ExitKey(key);
            RefusedMetric.Add(1, new KeyValuePair<string, object?>("reason", "overloaded"));
            return false;
        }

        if (Interlocked.Increment(ref reading) <= options.MaxBodiesInFlight)
        {
            return true;
        }

        Interlocked.Decrement(ref reading);
        if (key is not null)
        {
            ExitKey(key);
        }

        RefusedMetric.Add(1, new KeyValuePair<string, object?>("reason", "overloaded"));
        return false;
    }

    public void Exit(string? key)
    {
        Interlocked.Decrement(ref reading);
        if (key is not null)
        {
            ExitKey(key);
        }
    }

    /// <summary>Gives one of the key's slots back; the entry goes when it holds none (no entry per key ever seen).</summary>
    private void ExitKey(string key)
    {
        if (readingByKey.AddOrUpdate(key, 0, (_, held) => held - 1) <= 0)
        {
            readingByKey.TryRemove(new KeyValuePair<string, int>(key, 0));
        }
    }

    public void Hold(long bytes)
    {
        Interlocked.Add(ref buffered, bytes);
        BufferedMetric.Add(bytes);
    }

    public GatewayError Overloaded() => new(StatusCodes.Status503ServiceUnavailable, "service_unavailable",
        "The gateway is reading too many request bodies at once; retry shortly.", null, "too_many_bodies_in_flight")
    {
        RetryAfterSeconds = 1,
    };

    public GatewayError TimedOut()
    {
        RefusedMetric.Add(1, new KeyValuePair<string, object?>("reason", "timeout"));
        return new(StatusCodes.Status408RequestTimeout, "invalid_request_error",
            $"The request body did not arrive within {Timeout.TotalSeconds:0.#} seconds.", null, "request_body_timeout");
    }
}
