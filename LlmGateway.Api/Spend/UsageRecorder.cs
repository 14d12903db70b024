using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LlmGateway.Api.Spend;

/// <summary>
/// Makes a usage event durable before returning, first place that answers wins: the Redis stream (XADD, bounded),
/// else Postgres directly (bounded), else the fsynced local spool. Never throws. The caller's cancellation is
/// deliberately ignored: a client that disconnects must still be billed.
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
    private long databaseRetryAtTicks;

    public async ValueTask RecordAsync(UsageEvent usage, CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        if (await TryStreamAsync(usage, settings) || await TryDatabaseAsync(usage, settings))
        {
            return;
        }

        try
        {
            await spool.AppendAsync(usage);
        }
        catch (Exception ex)
        {
            // Nowhere durable answered: leave the event (no content, only a key hash) in the log for an operator.
            logger.LogCritical(ex, "Usage event could not be stored anywhere; event: {UsageJson}",
                System.Text.Encoding.UTF8.GetString(UsageStream.Serialize(usage)));
        }
    }

    private async Task<bool> TryStreamAsync(UsageEvent usage, SpendLedgerOptions settings)
    {
        if (!redis.IsConnected)
        {
            return false;
        }

        var json = UsageStream.SerializePooled(usage);
        try
        {
            // No MAXLEN: trimming by count could drop entries not yet written; the writer deletes what it acked.
            var add = redis.GetDatabase().StreamAddAsync(settings.StreamKey, UsageStream.Field, json.WrittenMemory);
            // The Redis client's own timeout bounds the call; a timer of our own only when the setting asks for less.
            var id = await (settings.RedisTimeout.TotalMilliseconds < redis.TimeoutMilliseconds ? add.WaitAsync(settings.RedisTimeout) : add);
            handoff.Added(id, usage); // durable now; this replica's writer takes the object rather than parsing the entry back
            json.Dispose(); // written and answered: the pooled buffer is free again (on failure it may still be queued, so it is left to the GC)
            return true;
        }
        catch (Exception ex)
        {
            // A timed-out XADD may still land later: the ledger is idempotent on (request_id, start_time).
            logger.LogWarning("Usage event {RequestId} not added to the stream ({Error}); writing it to Postgres", usage.RequestId, ex.Message);
            return false;
        }
    }

    private async Task<bool> TryDatabaseAsync(UsageEvent usage, SpendLedgerOptions settings)
    {
        if (time.GetUtcNow().UtcTicks < Interlocked.Read(ref databaseRetryAtTicks))
        {
            return false;
        }

        try
        {
            var write = await store.InsertAsync([usage], settings.DirectInsertTimeout, CancellationToken.None);
            await spool.SetAsideAsync(write.Rejected);
            return true;
        }
        catch (Exception ex)
        {
            Interlocked.Exchange(ref databaseRetryAtTicks, (time.GetUtcNow() + settings.DatabaseRetryAfter).UtcTicks);
            logger.LogWarning("Usage event {RequestId} not written to Postgres ({Error}); spooling it to disk", usage.RequestId, ex.Message);
            return false;
        }
    }
}
