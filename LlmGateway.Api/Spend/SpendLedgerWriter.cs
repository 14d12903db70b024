using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LlmGateway.Api.Spend;

/// <summary>
/// Moves usage events from the Redis stream into <c>spend_logs</c>: reads batches as this replica's consumer in the
/// <c>ledger</c> group, writes each batch in one round trip, and only then XACKs and XDELs it. Entries a crashed replica
/// left pending are claimed after <see cref="SpendLedgerOptions.ClaimIdleTime"/>; the spool is replayed when Postgres
/// answers; on shutdown what is left is drained for up to <see cref="SpendLedgerOptions.DrainTimeout"/>.
/// </summary>
internal sealed class SpendLedgerWriter(
    IConnectionMultiplexer redis,
    SpendLedgerStore store,
    UsageSpool spool,
    UsageHandoff handoff,
    GatewayReadiness readiness,
    IOptions<SpendLedgerOptions> options,
    ILogger<SpendLedgerWriter> logger) : BackgroundService
{
    private static readonly TimeSpan RedisTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The most a read takes while the writer is behind, in <see cref="SpendLedgerOptions.BatchSize"/>s: 2,000 entries by default,
    /// whose arrays stay under the large object heap's threshold (4,000 drained a backlog only a little faster).
    /// </summary>
    internal const int MaxReadBatches = 4;
    private readonly SpendLedgerOptions settings = options.Value;
    private readonly string consumer = UsageStream.ConsumerName;
    private bool groupReady;
    private bool ownPending = true;
    private RedisValue claimCursor = "0-0";
    private DateTime nextClaim = DateTime.MinValue;
    private DateTime nextReplay = DateTime.MinValue;
    private DateTime nextTrim = DateTime.MinValue;
    private int readSize = options.Value.BatchSize;

    private IDatabase Redis => redis.GetDatabase();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!readiness.SchemaReady && await PauseAsync(TimeSpan.FromMilliseconds(200), stoppingToken))
        {
        }

        var retryDelay = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReplaySpoolIfDueAsync(stoppingToken);
                var written = await WriteNextBatchAsync(stoppingToken);
                retryDelay = TimeSpan.Zero;
                await TrimIfDueAsync();
                if (written == 0)
                {
                    await PauseAsync(settings.PollInterval, stoppingToken);
                }
                else if (written < settings.BatchSize && settings.BatchLinger > TimeSpan.Zero)
                {
                    // Less than a batch was waiting: let the next one fill for a moment instead of writing a transaction per
                    // few events (at a low steady rate that cost Postgres ~10× more CPU per event; docs/spend.md).
                    await PauseAsync(settings.BatchLinger, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break; // stopped mid-batch: what was read stays pending and the drain below writes it
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Postgres or Redis is down: the entries stay pending in the stream; try again later.
                groupReady = false;
                retryDelay = TimeSpan.FromMilliseconds(Math.Clamp(retryDelay.TotalMilliseconds * 2, 100, settings.MaxRetryDelay.TotalMilliseconds));
                logger.LogWarning("Spend ledger writer: {Error}; retrying in {Delay}", ex.Message, retryDelay);
                await PauseAsync(retryDelay, stoppingToken);
            }
        }

        await DrainAsync();
    }

    /// <summary>Writes one batch (this consumer's pending entries first, then claimed, then new): how many entries it read (0: nothing to do).</summary>
    private async Task<int> WriteNextBatchAsync(CancellationToken ct)
    {
        await EnsureGroupAsync();
        if (ownPending)
        {
            var pending = await Redis.StreamReadGroupAsync(settings.StreamKey, UsageStream.Group, consumer, "0-0", settings.BatchSize).WaitAsync(RedisTimeout, ct);
            if (pending.Length > 0)
            {
                await WriteAsync(pending, ct);
                return pending.Length;
            }

            ownPending = false;
        }

        if (DateTime.UtcNow >= nextClaim)
        {
            var claimed = await Redis.StreamAutoClaimAsync(settings.StreamKey, UsageStream.Group, consumer,
                (long)settings.ClaimIdleTime.TotalMilliseconds, claimCursor, settings.BatchSize).WaitAsync(RedisTimeout, ct);
            claimCursor = claimed.NextStartId;
            if (claimCursor == "0-0")
            {
                nextClaim = DateTime.UtcNow + settings.ClaimInterval;
            }

            if (claimed.DeletedIds.Length > 0)
            {
                await Redis.StreamAcknowledgeAsync(settings.StreamKey, UsageStream.Group, claimed.DeletedIds).WaitAsync(RedisTimeout, ct);
            }

            if (claimed.ClaimedEntries.Length > 0)
            {
                logger.LogInformation("Claimed {Count} usage events left pending by another replica", claimed.ClaimedEntries.Length);
                await WriteAsync(claimed.ClaimedEntries, ct);
                return claimed.ClaimedEntries.Length;
            }
        }

        var entries = await Redis.StreamReadGroupAsync(settings.StreamKey, UsageStream.Group, consumer, ">", readSize).WaitAsync(RedisTimeout, ct);
        // Behind (a read came back full): the next read takes twice as many, up to MaxReadBatches batches, so a backlog left by
        // a Postgres pause is caught up in fewer, larger transactions even while the replica is busy serving requests (at a
        // batch per transaction, a 3 s pause at ~9k requests a second was never caught up under that load; docs/spend.md).
        readSize = entries.Length == readSize ? Math.Min(readSize * 2, settings.BatchSize * MaxReadBatches) : settings.BatchSize;
        if (entries.Length == 0)
        {
            return 0;
        }

        handoff.DeliveredFrom(entries[0].Id);
        await WriteAsync(entries, ct);
        return entries.Length;
    }

    private async Task WriteAsync(StreamEntry[] entries, CancellationToken ct)
    {
        var events = new List<UsageEvent>(entries.Length);
        var eventIds = new List<RedisValue>(entries.Length);
        var ids = new RedisValue[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            ids[i] = entry.Id;
            var own = handoff.Take(entry.Id); // this replica's own event: the object itself, not its JSON parsed back
            if (!entry.IsNull && (own ?? UsageStream.Read(entry)) is { } usage)
            {
                events.Add(usage);
                eventIds.Add(entry.Id);
            }
            else if (!entry.IsNull)
            {
                logger.LogError("Stream entry {Id} is not a usage event; dropping it", entry.Id);
            }
        }

        try
        {
            var write = await store.InsertAsync(events, settings.BatchInsertTimeout, ct);
            await spool.SetAsideAsync(write.Rejected);
            logger.LogDebug("Wrote {Inserted} of {Count} usage events to the ledger", write.Inserted, events.Count);
        }
        catch
        {
            ownPending = true;
            for (var i = 0; i < events.Count; i++)
            {
                handoff.Return(eventIds[i], events[i]); // the batch stays pending: its events wait here for the re-read
            }

            throw;
        }

        // Acked only after the commit; a crash in between replays the batch, which the ledger ignores as duplicates.
        await Redis.StreamAcknowledgeAsync(settings.StreamKey, UsageStream.Group, ids).WaitAsync(RedisTimeout, ct);
        await Redis.StreamDeleteAsync(settings.StreamKey, ids).WaitAsync(RedisTimeout, ct);
    }

    private async Task EnsureGroupAsync()
    {
        if (groupReady)
        {
            return;
        }

        try
        {
            // From 0: entries added before the group existed (or after Redis lost it) are still delivered.
            await Redis.StreamCreateConsumerGroupAsync(settings.StreamKey, UsageStream.Group, "0-0", createStream: true).WaitAsync(RedisTimeout);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
            // another replica (or an earlier run) created it
        }

        groupReady = true;
        ownPending = true;
    }

    private async Task ReplaySpoolIfDueAsync(CancellationToken ct)
    {
        if (DateTime.UtcNow < nextReplay)
        {
            return;
        }

        nextReplay = DateTime.UtcNow + settings.SpoolReplayInterval;
        try
        {
            if (!spool.HasPendingFiles())
            {
                return;
            }

            foreach (var file in await spool.TakeForReplay())
            {
                var events = await UsageSpool.ReadAsync(file, ct);
                var inserted = 0;
                foreach (var chunk in events.Chunk(settings.BatchSize))
                {
                    var write = await store.InsertAsync(chunk, settings.BatchInsertTimeout, ct);
                    await spool.SetAsideAsync(write.Rejected);
                    inserted += write.Inserted;
                }

                File.Delete(file);
                logger.LogInformation("Replayed {Count} spooled usage events ({Inserted} new) from {File}", events.Count, inserted, Path.GetFileName(file));
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogWarning("Spool replay failed ({Error}); the spool is kept and retried in {Delay}", ex.Message, settings.SpoolReplayInterval);
        }
    }

    /// <summary>Removes acked entries an XDEL missed: everything older than the oldest pending (or undelivered) entry.</summary>
    private async Task TrimIfDueAsync()
    {
        if (DateTime.UtcNow < nextTrim)
        {
            return;
        }

        nextTrim = DateTime.UtcNow + settings.TrimInterval;
        var groups = await Redis.StreamGroupInfoAsync(settings.StreamKey).WaitAsync(RedisTimeout);
        var ledger = groups.FirstOrDefault(g => g.Name == UsageStream.Group);
        if (ledger.Name is null || ledger.LastDeliveredId is null || groups.Length != 1)
        {
            return;
        }

        var pending = await Redis.StreamPendingAsync(settings.StreamKey, UsageStream.Group).WaitAsync(RedisTimeout);
        var minId = pending.PendingMessageCount > 0 ? pending.LowestPendingMessageId : (RedisValue)ledger.LastDeliveredId;
        await Redis.StreamTrimByMinIdAsync(settings.StreamKey, minId).WaitAsync(RedisTimeout);
    }

    /// <summary>On shutdown: write what this replica holds and what is still waiting, for a bounded time.</summary>
    private async Task DrainAsync()
    {
        using var drain = new CancellationTokenSource(settings.DrainTimeout);
        try
        {
            nextClaim = DateTime.MaxValue;
            ownPending = true;
            while (await WriteNextBatchAsync(drain.Token) > 0)
            {
            }

            logger.LogInformation("Spend ledger writer drained the usage stream");
        }
        catch (Exception ex)
        {
            // What is left stays in the stream (pending entries are claimed by another replica) or the spool.
            logger.LogWarning("Spend ledger writer stopped before the stream was drained: {Error}", ex.Message);
        }
    }

    private static async Task<bool> PauseAsync(TimeSpan delay, CancellationToken ct)
    {
        try
        {
            await Task.Delay(delay, ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
