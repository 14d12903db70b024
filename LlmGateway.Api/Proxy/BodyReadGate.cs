using System.Diagnostics.Metrics;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// Bounds what slow or large request bodies can hold: at most <see cref="ProxyOptions.MaxBodiesInFlight"/> bodies
/// are read at once (beyond it a 503 with <c>Retry-After</c>), each within <see cref="ProxyOptions.RequestBodyTimeoutSeconds"/>.
/// Counts the bytes their buffers hold, so a trickling client pins only what it has sent.
/// </summary>
public sealed class BodyReadGate(ProxyOptions options)
{
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

    /// <summary>Takes a reading slot; false (and nothing taken) when every slot is busy.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref reading) <= options.MaxBodiesInFlight)
        {
            return true;
        }

        Interlocked.Decrement(ref reading);
        RefusedMetric.Add(1, new KeyValuePair<string, object?>("reason", "overloaded"));
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref reading);

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
