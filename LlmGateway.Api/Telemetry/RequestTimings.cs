using System.Diagnostics;
using System.Globalization;

namespace LlmGateway.Api.Telemetry;

/// <summary>Where a request's time went, stage by stage, for <c>Server-Timing</c> and the usage event.</summary>
public sealed class RequestTimings
{
    private readonly long started = Stopwatch.GetTimestamp();
    private long mark;

    public RequestTimings() => mark = started;

    /// <summary>The request's timings, started by the first filter of the proxy routes.</summary>
    public static RequestTimings Of(HttpContext context)
    {
        if (context.Features.Get<RequestTimings>() is { } timings)
        {
            return timings;
        }

        timings = new RequestTimings();
        context.Features.Set(timings);
        return timings;
    }

    public TimeSpan Auth { get; private set; }
    public TimeSpan Limits { get; private set; }
    public TimeSpan Cache { get; private set; }
    /// <summary>From sending upstream to its first byte (headers, or the first event of a stream).</summary>
    public TimeSpan UpstreamFirstByte { get; set; }
    public TimeSpan Upstream { get; set; }
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(started);

    /// <summary>When the request arrived (a <see cref="Stopwatch"/> timestamp), before its key was checked.</summary>
    public long StartedTimestamp => started;

    public void EndAuth() => Auth = Lap();

    public void EndLimits() => Limits = Lap();

    public void EndCache() => Cache = Lap();

    /// <summary>Starts the clock for the upstream stage.</summary>
    public long StartUpstream()
    {
        mark = Stopwatch.GetTimestamp();
        return mark;
    }

    /// <summary>The standard <c>Server-Timing</c> header value (milliseconds), as far as the request has got.</summary>
    public string ToServerTiming()
    {
        // Formatted in a stack buffer: one string per request instead of a builder and a string per duration.
        Span<char> buffer = stackalloc char[256];
        var length = 0;
        Append(buffer, ref length, "auth", Auth);
        Append(buffer, ref length, "limits", Limits);
        Append(buffer, ref length, "cache", Cache);
        Append(buffer, ref length, "upstream", UpstreamFirstByte > TimeSpan.Zero ? UpstreamFirstByte : Upstream);
        Append(buffer, ref length, "total", Elapsed);
        return new string(buffer[..length]);
    }

    private TimeSpan Lap()
    {
        var now = Stopwatch.GetTimestamp();
        var lap = Stopwatch.GetElapsedTime(mark, now);
        mark = now;
        return lap;
    }

    private static void Append(Span<char> buffer, ref int length, string name, TimeSpan duration)
    {
        // Five entries of at most ~40 characters each always fit the 256 of the buffer.
        if (length > 0)
        {
            ", ".CopyTo(buffer[length..]);
            length += 2;
        }

        name.CopyTo(buffer[length..]);
        length += name.Length;
        ";dur=".CopyTo(buffer[length..]);
        length += 5;
        duration.TotalMilliseconds.TryFormat(buffer[length..], out var written, "0.###", CultureInfo.InvariantCulture);
        length += written;
    }
}
