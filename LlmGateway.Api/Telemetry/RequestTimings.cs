using System.Diagnostics;
using System.Globalization;
using System.Text;

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
        var builder = new StringBuilder(96);
        Append(builder, "auth", Auth);
        Append(builder, "limits", Limits);
        Append(builder, "cache", Cache);
        Append(builder, "upstream", UpstreamFirstByte > TimeSpan.Zero ? UpstreamFirstByte : Upstream);
        Append(builder, "total", Elapsed);
        return builder.ToString();
    }

    private TimeSpan Lap()
    {
        var now = Stopwatch.GetTimestamp();
        var lap = Stopwatch.GetElapsedTime(mark, now);
        mark = now;
        return lap;
    }

    private static void Append(StringBuilder builder, string name, TimeSpan duration)
    {
        if (builder.Length > 0)
        {
            builder.Append(", ");
        }

        builder.Append(name).Append(";dur=").Append(duration.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture));
    }
}
