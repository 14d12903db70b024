using System.Collections.Concurrent;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// Redis work left over from an outage, run when Redis answers again: the cost of each request settled locally (counted
/// once per request id, <c>replay.lua</c>) and the settles Redis did not answer (<c>settle.lua</c> is idempotent too).
/// So the counters carry every request of the outage without being dropped and rebuilt.
/// </summary>
public sealed class OutageReplay(IConnectionMultiplexer redis, ILogger<OutageReplay> logger)
{
    private const int MaxPending = 200_000;
    private const int BatchSize = 500;

    private readonly ConcurrentQueue<Replay> pending = new();
    private readonly SemaphoreSlim flushing = new(1, 1);
    private int count;

    private sealed record Replay(RedisScript Script, RedisKey[] Keys, RedisValue[] Values);

    public bool IsEmpty => pending.IsEmpty;

    /// <summary>A settle Redis did not answer (it may still have run: running it again is a no-op then).</summary>
    public void QueueSettle(RedisKey[] keys, RedisValue[] arguments) => Enqueue(new(LimitScripts.Settle, keys, arguments));

    /// <summary>A lease's return Redis did not answer (<c>lease_return</c>; running it again is a no-op).</summary>
    public void QueueLeaseReturn(RedisKey[] keys, RedisValue[] arguments) => Enqueue(new(LimitScripts.LeaseReturn, keys, arguments));

    /// <summary>The actual cost of a request admitted and settled on this replica while Redis was unreachable.</summary>
    public void QueueSpend(LimitScope scope, string requestId, long costNanos, DateTimeOffset now) =>
        Enqueue(new(LimitScripts.Replay, [scope.SpentKey, scope.ReplayMarkerKey(requestId)], [scope.CounterTtlMs(now), costNanos]));

    private void Enqueue(Replay replay)
    {
        if (Interlocked.Increment(ref count) > MaxPending)
        {
            // Bounded memory in a very long outage: the ledger still has the request; the counter is short until re-seeded.
            Interlocked.Decrement(ref count);
            logger.LogError("More than {Max} settles are waiting for Redis; this one is left to the ledger", MaxPending);
            return;
        }

        pending.Enqueue(replay);
    }

    /// <summary>Runs what is waiting, in pipelined batches; stops (keeping the rest) at the first Redis failure.</summary>
    public async Task FlushAsync()
    {
        if (!await flushing.WaitAsync(0))
        {
            return;
        }

        try
        {
            var db = redis.GetDatabase();
            var batch = new List<Replay>(BatchSize);
            while (true)
            {
                batch.Clear();
                while (batch.Count < BatchSize && pending.TryDequeue(out var replay))
                {
                    batch.Add(replay);
                }

                if (batch.Count == 0)
                {
                    return;
                }

                Interlocked.Add(ref count, -batch.Count);
                var runs = batch.Select(r => r.Script.EvaluateAsync(db, r.Keys, r.Values)).ToArray();
                try
                {
                    await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(5));
                    logger.LogInformation("Redis is back: {Count} settles of the outage counted", batch.Count);
                }
                catch (Exception ex)
                {
                    // Whatever failed is sent again later: every replay is idempotent.
                    for (var i = 0; i < runs.Length; i++)
                    {
                        if (!runs[i].IsCompletedSuccessfully)
                        {
                            Enqueue(batch[i]);
                        }
                    }

                    logger.LogWarning("Replaying the outage's settles failed ({Error}); retrying when Redis answers", ex.GetType().Name);
                    return;
                }
            }
        }
        finally
        {
            flushing.Release();
        }
    }
}
