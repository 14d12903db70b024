using LlmGateway.Api.Limits;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LlmGateway.Api.Spend;

/// <summary>
/// Makes a usage event durable before returning, first place that answers wins: the Redis stream (XADD, bounded),
/// else Postgres directly (bounded), else the fsynced local spool. Never throws. The caller's cancellation is
/// deliberately ignored: a client that disconnects must still be billed.
/// <para>
/// One stream call in flight at a time: an event recorded while none is goes at once (a lone request waits for nothing);
/// events recorded meanwhile go together when it returns, up to <see cref="SpendLedgerOptions.StreamBatch"/> per call, each
/// still an entry of its own (one Lua script of XADDs), so the stream's format, its readers and the handoff are unchanged.
/// A batch that Redis does not take falls back as a whole, to Postgres (one insert) and then the spool (one append).
/// </para>
/// </summary>
internal sealed class UsageRecorder(
    IConnectionMultiplexer redis,
    SpendLedgerStore store,
    UsageSpool spool,
    UsageHandoff handoff,
    IOptions<SpendLedgerOptions> options,
    TimeProvider time,
    ILogger<UsageRecorder> logger) : IUsageRecorder
{
    /// <summary>Several events, an entry each, in one call; answers their entry ids in order.</summary>
    private static readonly RedisScript AddEach = new("""
        local ids = {}
        for i = 1, #ARGV do
          ids[i] = redis.call('XADD', KEYS[1], '*', 'e', ARGV[i])
        end
        return ids
        """);

    private readonly Lock gate = new();
    private bool sending; // a stream call is in flight: later events wait in `waiting` for it
    private Waiting? waiting;
    private long databaseRetryAtTicks;
    private long streamCalls;

    /// <summary>Calls made to the stream since start-up (a batch counts once): how well events are coalesced.</summary>
    public long StreamCalls => Interlocked.Read(ref streamCalls);

    public ValueTask RecordAsync(UsageEvent usage, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            if (sending)
            {
                var next = waiting ??= new Waiting();
                next.Events.Add(usage);
                return new ValueTask(next.Done.Task);
            }

            sending = true;
        }

        return new ValueTask(SendAloneAsync(usage));
    }

    /// <summary>An event that found no call in flight: stored now; then the events that came meanwhile go, without it waiting for them.</summary>
    private async Task SendAloneAsync(UsageEvent usage)
    {
        try
        {
            await StoreAsync([usage]);
        }
        finally
        {
            if (TakeWaiting() is { } next)
            {
                _ = SendWaitingAsync(next);
            }
        }
    }

    private async Task SendWaitingAsync(Waiting? next)
    {
        while (next is not null)
        {
            try
            {
                await StoreAsync(next.Events);
                next.Done.TrySetResult();
            }
            catch (Exception ex)
            {
                next.Done.TrySetException(ex); // StoreAsync does not throw; should it, the events behind must still go
            }

            next = TakeWaiting();
        }
    }

    /// <summary>The events that came while a call was in flight, now the next call; null (and nothing in flight) when none did.</summary>
    private Waiting? TakeWaiting()
    {
        lock (gate)
        {
            var next = waiting;
            waiting = null;
            sending = next is not null;
            return next;
        }
    }

    /// <summary>Stores the events, in calls of at most <see cref="SpendLedgerOptions.StreamBatch"/>; never throws.</summary>
    private Task StoreAsync(List<UsageEvent> events)
    {
        var settings = options.Value;
        if (events.Count <= settings.StreamBatch)
        {
            return StoreChunkAsync(events, settings);
        }

        var chunks = new List<Task>(events.Count / settings.StreamBatch + 1);
        for (var start = 0; start < events.Count; start += settings.StreamBatch)
        {
            chunks.Add(StoreChunkAsync(events.GetRange(start, Math.Min(settings.StreamBatch, events.Count - start)), settings));
        }

        return Task.WhenAll(chunks);
    }

    private async Task StoreChunkAsync(List<UsageEvent> events, SpendLedgerOptions settings)
    {
        if (await TryStreamAsync(events, settings) || await TryDatabaseAsync(events, settings))
        {
            return;
        }

        try
        {
            await spool.AppendAsync(events);
        }
        catch (Exception ex)
        {
            // Nowhere durable answered: leave the events (no content, only a key hash) in the log for an operator.
            foreach (var usage in events)
            {
                logger.LogCritical(ex, "Usage event could not be stored anywhere; event: {UsageJson}",
                    System.Text.Encoding.UTF8.GetString(UsageStream.Serialize(usage)));
            }
        }
    }

    private async Task<bool> TryStreamAsync(List<UsageEvent> events, SpendLedgerOptions settings)
    {
        if (!redis.IsConnected)
        {
            return false;
        }

        var json = new Streaming.PooledBufferWriter[events.Count];
        try
        {
            for (var i = 0; i < json.Length; i++)
            {
                json[i] = UsageStream.SerializePooled(events[i]);
            }

            Interlocked.Increment(ref streamCalls);
            var db = redis.GetDatabase();
            // No MAXLEN: trimming by count could drop entries not yet written; the writer deletes what it acked.
            if (json.Length == 1)
            {
                var id = await Bounded(db.StreamAddAsync(settings.StreamKey, UsageStream.Field, json[0].WrittenMemory), settings);
                handoff.Added(id, events[0]); // durable now; this replica's writer takes the object rather than parsing the entry back
            }
            else
            {
                var values = new RedisValue[json.Length];
                for (var i = 0; i < json.Length; i++)
                {
                    values[i] = json[i].WrittenMemory;
                }

                var ids = (RedisValue[])(await Bounded(AddEach.EvaluateAsync(db, [settings.StreamKey], values), settings))!;
                for (var i = 0; i < ids.Length; i++)
                {
                    handoff.Added(ids[i], events[i]);
                }
            }

            foreach (var buffer in json)
            {
                buffer.Dispose(); // written and answered: the pooled buffers are free again (on failure they may still be queued, so they are left to the GC)
            }

            return true;
        }
        catch (Exception ex)
        {
            // A timed-out XADD may still land later: the ledger is idempotent on (request_id, start_time).
            logger.LogWarning("{Count} usage event(s) (the first {RequestId}) not added to the stream ({Error}); writing them to Postgres",
                events.Count, events[0].RequestId, ex.Message);
            return false;
        }
    }

    /// <summary>The Redis client's own timeout bounds the call; a timer of our own only when the setting asks for less.</summary>
    private Task<T> Bounded<T>(Task<T> call, SpendLedgerOptions settings) =>
        settings.RedisTimeout.TotalMilliseconds < redis.TimeoutMilliseconds ? call.WaitAsync(settings.RedisTimeout) : call;

    private async Task<bool> TryDatabaseAsync(List<UsageEvent> events, SpendLedgerOptions settings)
    {
        if (time.GetUtcNow().UtcTicks < Interlocked.Read(ref databaseRetryAtTicks))
        {
            return false;
        }

        try
        {
            var write = await store.InsertAsync(events, settings.DirectInsertTimeout, CancellationToken.None);
            await spool.SetAsideAsync(write.Rejected);
            return true;
        }
        catch (Exception ex)
        {
            Interlocked.Exchange(ref databaseRetryAtTicks, (time.GetUtcNow() + settings.DatabaseRetryAfter).UtcTicks);
            logger.LogWarning("{Count} usage event(s) (the first {RequestId}) not written to Postgres ({Error}); spooling them to disk",
                events.Count, events[0].RequestId, ex.Message);
            return false;
        }
    }

    /// <summary>Events recorded while a stream call was in flight: the next call, and the task their recorders wait on.</summary>
    private sealed class Waiting
    {
        public readonly List<UsageEvent> Events = [];
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
