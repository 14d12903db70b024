using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Telemetry;

namespace LlmGateway.Api.Auth;

/// <summary>Limits on refused keys (section <c>Gateway:Auth</c>, docs/security.md).</summary>
public sealed class AuthOptions
{
    /// <summary>Refused keys per client IP per minute before its uncached keys get a 429 with <c>Retry-After</c>; 0 turns it off. Default 120.</summary>
    public int FailuresPerIpPerMinute { get; set; } = 120;
}

/// <summary>
/// Refused keys: counted in <c>llmgateway.auth.failures</c>, limited per client IP (fixed one-minute windows), and
/// sampled for the ledger — one row per minute per replica carries how many were refused since the last one.
/// </summary>
public sealed class AuthFailures(AuthOptions options)
{
    private const int MaxTrackedAddresses = 100_000;

    private static readonly Counter<long> FailureMetric = GatewayTelemetry.Meter.CreateCounter<long>(
        "llmgateway.auth.failures", "{request}", "Requests refused for their key (missing, invalid, blocked, expired) or their IP's failures.");

    private readonly ConcurrentDictionary<IPAddress, Window> windows = new();
    private long ledgerMinute = -1;
    private long notRecorded;

    private sealed class Window(long minute)
    {
        public long Minute = minute;
        public int Count;
    }

    /// <summary>The 429 for a client IP past its failures this minute; null while it is within them.</summary>
    public GatewayError? Throttled(HttpRequest request)
    {
        if (options.FailuresPerIpPerMinute <= 0 || request.HttpContext.Connection.RemoteIpAddress is not { } ip
            || !windows.TryGetValue(ip, out var window))
        {
            return null;
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (Volatile.Read(ref window.Minute) != now / 60 || Volatile.Read(ref window.Count) < options.FailuresPerIpPerMinute)
        {
            return null;
        }

        FailureMetric.Add(1, new KeyValuePair<string, object?>("reason", "ip_throttled"));
        return new GatewayError(StatusCodes.Status429TooManyRequests, "rate_limit_exceeded",
            "Too many requests with a wrong API key from this address; retry later with a valid key.", null, "too_many_auth_failures")
        {
            RetryAfterSeconds = (int)(60 - now % 60),
        };
    }

    /// <summary>Counts a refused key against its client IP and in the metric.</summary>
    public void Record(HttpRequest request, string reason)
    {
        FailureMetric.Add(1, new KeyValuePair<string, object?>("reason", reason));
        if (options.FailuresPerIpPerMinute <= 0 || request.HttpContext.Connection.RemoteIpAddress is not { } ip)
        {
            return;
        }

        var minute = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60;
        if (windows.Count > MaxTrackedAddresses)
        {
            windows.Clear(); // a flood from that many addresses is beyond a per-IP limit: start over rather than grow
        }

        var window = windows.GetOrAdd(ip, _ => new Window(minute));
        lock (window)
        {
            if (window.Minute != minute)
            {
                window.Minute = minute;
                window.Count = 0;
            }

            window.Count++;
        }
    }

    /// <summary>
    /// Whether this refusal gets its ledger row: the first in each minute does, carrying how many were not recorded
    /// since the previous row (<paramref name="skipped"/>); the others are only counted.
    /// </summary>
    public bool TakeLedgerRow(out long skipped)
    {
        var minute = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60;
        var last = Interlocked.Read(ref ledgerMinute);
        if (last != minute && Interlocked.CompareExchange(ref ledgerMinute, minute, last) == last)
        {
            skipped = Interlocked.Exchange(ref notRecorded, 0);
            return true;
        }

        Interlocked.Increment(ref notRecorded);
        skipped = 0;
        return false;
    }
}
