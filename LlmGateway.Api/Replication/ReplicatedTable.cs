using System.Threading.Channels;
using StackExchange.Redis;

namespace LlmGateway.Api.Replication;

/// <summary>
/// A table every replica holds whole in memory, as an immutable snapshot swapped at each load, so the request path never
/// asks Postgres about it. A change made through the management API reloads the writing replica before it answers and is
/// announced on a Redis channel, reloading every other replica at once; the subscription is probed and taken again after
/// Redis comes back (<see cref="ChannelSubscription"/>), the table reloaded then (changes may have been missed), and a
/// reload every poll period covers a message lost anyway.
/// </summary>
public sealed class ReplicatedTable<T> where T : class
{
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(500);
    private readonly string topic;
    private readonly RedisChannel channel;
    private readonly Func<T, CancellationToken, Task<T>> load;
    private readonly IConnectionMultiplexer redis;
    private readonly GatewayReadiness readiness;
    private readonly TimeSpan poll;
    private readonly ILogger logger;
    private readonly TaskCompletionSource firstLoad = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim loading = new(1, 1); // a slower, older load never replaces a newer one
    private volatile T current;
    private volatile bool lastLoadFailed;

    /// <param name="topic">What the table holds, for the logs (e.g. "the customers").</param>
    /// <param name="load">Reads the table; gets the snapshot in force (to keep what did not change) and returns the next one.</param>
    public ReplicatedTable(string topic, RedisChannel channel, T empty, TimeSpan poll, Func<T, CancellationToken, Task<T>> load,
        IConnectionMultiplexer redis, GatewayReadiness readiness, TimeSpan probeInterval, ILogger logger)
    {
        this.topic = topic;
        this.channel = channel;
        this.load = load;
        this.redis = redis;
        this.readiness = readiness;
        this.poll = poll > TimeSpan.Zero ? poll : TimeSpan.FromSeconds(1);
        this.logger = logger;
        current = empty;
        Subscription = new ChannelSubscription(redis, logger, channel, "changes to " + topic, probeInterval, _ => Wake(), Wake);
    }

    /// <summary>The snapshot in force: the empty one until the first load.</summary>
    public T Current => current;

    public bool Loaded => firstLoad.Task.IsCompleted;

    /// <summary>Completes with the first successful load.</summary>
    public Task FirstLoad => firstLoad.Task;

    /// <summary>This replica's subscription to the table's changes.</summary>
    public ChannelSubscription Subscription { get; }

    /// <summary>
    /// Whether the table is loaded, waiting at most <paramref name="wait"/> for a first load under way; no wait at all once a
    /// load failed (Postgres unreachable): a request is not held for a load that is not coming.
    /// </summary>
    public async ValueTask<bool> LoadedAsync(TimeSpan wait, CancellationToken ct)
    {
        if (!firstLoad.Task.IsCompleted && !lastLoadFailed)
        {
            await Task.WhenAny(firstLoad.Task, Task.Delay(wait, ct));
            ct.ThrowIfCancellationRequested();
        }

        return firstLoad.Task.IsCompleted;
    }

    /// <summary>Reads the table now and swaps the snapshot in; loads never overlap.</summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        await loading.WaitAsync(ct);
        try
        {
            current = await load(current, ct);
            lastLoadFailed = false;
            firstLoad.TrySetResult();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            lastLoadFailed = true;
            throw;
        }
        finally
        {
            loading.Release();
        }
    }

    /// <summary>After a management write: reloads here before the caller answers, then tells every other replica.</summary>
    public async Task PublishChangeAsync(CancellationToken ct)
    {
        await ReloadAsync(ct);
        await AnnounceAsync();
    }

    /// <summary>Tells every other replica to reload; a lost message is caught up by their poll.</summary>
    public async Task AnnounceAsync()
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(channel, "changed").WaitAsync(TimeSpan.FromSeconds(1));
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            logger.LogWarning("Could not announce a change to {Topic} ({Error}); other replicas see it within {Seconds} s", topic, ex.GetType().Name, poll.TotalSeconds);
        }
    }

    /// <summary>Subscribes, then loads once the schema is ready and again on every change message, gap, or poll period.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var subscription = Subscription.RunAsync(ct);
        while (!ct.IsCancellationRequested)
        {
            var loaded = readiness.SchemaReady && await TryReloadAsync(ct);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(loaded ? poll : Retry);
            try
            {
                await wake.Reader.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await subscription;
    }

    private void Wake() => wake.Writer.TryWrite(true);

    private async Task<bool> TryReloadAsync(CancellationToken ct)
    {
        try
        {
            await ReloadAsync(ct);
            return true;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Could not load {Topic} ({Error}); the last copy loaded stays in force", topic, ex.GetType().Name);
            return false;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
