using StackExchange.Redis;

namespace LlmGateway.Api.Replication;

/// <summary>
/// Keeps this replica subscribed to one Redis pub/sub channel. A probe published on the channel every probe interval must
/// come back; when it does not (Redis restarted, the connection killed, never subscribed at start-up) the replica
/// subscribes again with a jittered backoff, and once back calls <c>onGap</c>: changes published meanwhile were missed.
/// </summary>
public class ChannelSubscription
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(5);

    private readonly IConnectionMultiplexer redis;
    private readonly RedisChannel channel;
    private readonly string topic;
    private readonly ILogger logger;
    private readonly Action<string> onChange;
    private readonly Action onGap;
    private readonly TimeSpan probeInterval;
    private readonly string probePrefix = "probe:" + Guid.NewGuid().ToString("N") + ":";
    private readonly SemaphoreSlim wake = new(0);
    private readonly Action<RedisChannel, RedisValue> handler;
    private (string Expected, TaskCompletionSource Echo)? probe;
    private long probes;
    private volatile Status state = new(false, null, 0, "not subscribed yet");

    /// <param name="topic">What the channel carries, for the logs (e.g. "key changes").</param>
    /// <param name="onChange">Receives every change message (never a probe).</param>
    /// <param name="onGap">Called once subscribed, and again whenever the subscription is back after a gap in which messages may have been missed.</param>
    public ChannelSubscription(IConnectionMultiplexer redis, ILogger logger, RedisChannel channel, string topic, TimeSpan probeInterval,
        Action<string> onChange, Action onGap)
    {
        this.redis = redis;
        this.channel = channel;
        this.topic = topic;
        this.logger = logger;
        this.probeInterval = probeInterval > TimeSpan.Zero ? probeInterval : TimeSpan.FromSeconds(5);
        this.onChange = onChange;
        this.onGap = onGap;
        handler = (_, message) => Receive(message.ToString());
        redis.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                MarkDown(e.FailureType.ToString());
            }
        };
        redis.ConnectionRestored += (_, e) => wake.Release();
    }

    /// <summary>What <c>GET /health</c> reports: subscribed or not, since when, how many resubscriptions, the last error.</summary>
    public sealed record Status(bool Subscribed, DateTimeOffset? Since, long Resubscribes, string? LastError);

    public Status State => state;

    /// <summary>Subscribes, probes, and subscribes again whenever the probe is lost, until <paramref name="ct"/>.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            await KeepSubscribedAsync(ct);
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
            // stopping: a command the shutdown cut short (Redis may be gone first) is no failure
        }
    }

    private async Task KeepSubscribedAsync(CancellationToken ct)
    {
        var backoff = MinBackoff;
        var everSubscribed = false;
        while (!ct.IsCancellationRequested)
        {
            if (!state.Subscribed)
            {
                try
                {
                    await SubscribeAsync(ct);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested && (RedisFailures.IsTransient(ex) || ex is TimeoutException))
                {
                    MarkDown(ex.GetType().Name);
                    await DelayAsync(backoff * (0.5 + Random.Shared.NextDouble()), ct);
                    backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
                    continue;
                }

                backoff = MinBackoff;
                state = new Status(true, DateTimeOffset.UtcNow, state.Resubscribes + (everSubscribed ? 1 : 0), null);
                if (everSubscribed)
                {
                    OnResubscribed();
                    logger.LogWarning("Subscribed to {Topic} again; what they change is reloaded (changes may have been missed)", topic);
                }

                onGap();
                everSubscribed = true;
            }

            await DelayAsync(probeInterval, ct);
            if (state.Subscribed && !await ProbeAsync(ct))
            {
                MarkDown("the probe did not come back");
            }
        }
    }

    /// <summary>Called each time the channel is subscribed again after a gap.</summary>
    protected virtual void OnResubscribed()
    {
    }

    private async Task SubscribeAsync(CancellationToken ct)
    {
        var subscriber = redis.GetSubscriber();
        // The same handler once: StackExchange.Redis may have restored the old subscription on its own meanwhile.
        await subscriber.UnsubscribeAsync(channel, handler).WaitAsync(CommandTimeout, ct);
        await subscriber.SubscribeAsync(channel, handler).WaitAsync(CommandTimeout, ct);
        if (!await ProbeAsync(ct))
        {
            throw new TimeoutException("the first probe did not come back");
        }
    }

    /// <summary>Publishes a probe and waits for it to come back through this replica's own subscription.</summary>
    private async Task<bool> ProbeAsync(CancellationToken ct)
    {
        var expected = probePrefix + Interlocked.Increment(ref probes);
        var echo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        probe = (expected, echo);
        try
        {
            await redis.GetSubscriber().PublishAsync(channel, expected).WaitAsync(CommandTimeout, ct);
            await echo.Task.WaitAsync(CommandTimeout, ct);
            return true;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && (RedisFailures.IsTransient(ex) || ex is TimeoutException))
        {
            return false;
        }
        finally
        {
            probe = null;
        }
    }

    private void Receive(string message)
    {
        if (message.StartsWith("probe:", StringComparison.Ordinal))
        {
            // Every replica's probes arrive here: only this replica's pending one counts.
            if (probe is { } pending && pending.Expected == message)
            {
                pending.Echo.TrySetResult();
            }

            return;
        }

        onChange(message);
    }

    private void MarkDown(string error)
    {
        var current = state;
        if (current.Subscribed)
        {
            logger.LogWarning("The subscription to {Topic} failed ({Error}); subscribing again", topic, error);
            state = new Status(false, DateTimeOffset.UtcNow, current.Resubscribes, error);
            wake.Release();
        }
        else if (current.LastError != error)
        {
            state = current with { LastError = error };
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await wake.WaitAsync(delay, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
