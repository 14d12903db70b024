using System.Diagnostics.Metrics;
using StackExchange.Redis;

namespace LlmGateway.Api.Keys;

/// <summary>
/// Keeps this replica subscribed to key changes (Redis pub/sub), the way a revocation reaches it at once. A probe published
/// on the channel every <see cref="KeyCacheOptions.SubscriptionProbeSeconds"/> must come back; when it does not (Redis
/// restarted, the connection killed, never subscribed at start-up) the replica subscribes again with a jittered backoff,
/// and once back forgets its cached records: changes published meanwhile were missed. The state is in
/// <c>GET /health</c> (<c>key_revocation</c>) and the metrics <c>llmgateway.keys.subscription.up</c> and
/// <c>llmgateway.keys.subscription.resubscribes</c>.
/// </summary>
public sealed class KeyChangeSubscription
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(5);
    private static readonly Counter<long> Resubscribes = GatewayTelemetry.Meter.CreateCounter<long>(
        "llmgateway.keys.subscription.resubscribes", "{subscription}",
        "Times a replica subscribed to key changes again after its subscription failed or dropped.");

    private readonly IConnectionMultiplexer redis;
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

    /// <param name="onChange">Receives every change message (never a probe).</param>
    /// <param name="onGap">Called when the subscription is back after a gap in which messages may have been missed.</param>
    public KeyChangeSubscription(IConnectionMultiplexer redis, ILogger logger, TimeSpan probeInterval, Action<string> onChange, Action onGap)
    {
        this.redis = redis;
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
        GatewayTelemetry.Meter.CreateObservableGauge("llmgateway.keys.subscription.up", () => state.Subscribed ? 1 : 0, "{subscription}",
            "1 while this replica receives key changes (revocations) over Redis pub/sub, 0 while it is resubscribing.");
    }

    /// <summary>What <c>GET /health</c> reports: subscribed or not, since when, how many resubscriptions, the last error.</summary>
    public sealed record Status(bool Subscribed, DateTimeOffset? Since, long Resubscribes, string? LastError);

    public Status State => state;

    /// <summary>Subscribes, probes, and subscribes again whenever the probe is lost, until <paramref name="ct"/>.</summary>
    public async Task RunAsync(CancellationToken ct)
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
                    Resubscribes.Add(1);
                    logger.LogWarning("Subscribed to key changes again; cached key records are reloaded (changes may have been missed)");
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

    private async Task SubscribeAsync(CancellationToken ct)
    {
        var subscriber = redis.GetSubscriber();
        // The same handler once: StackExchange.Redis may have restored the old subscription on its own meanwhile.
        await subscriber.UnsubscribeAsync(KeyCache.Channel, handler).WaitAsync(CommandTimeout, ct);
        await subscriber.SubscribeAsync(KeyCache.Channel, handler).WaitAsync(CommandTimeout, ct);
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
            await redis.GetSubscriber().PublishAsync(KeyCache.Channel, expected).WaitAsync(CommandTimeout, ct);
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
            logger.LogWarning("The subscription to key changes failed ({Error}); subscribing again", error);
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
