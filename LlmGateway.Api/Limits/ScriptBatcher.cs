using System.Collections.Concurrent;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// Coalesces concurrent calls of one limits script whose keys share hash tags (a "slot": a team's or a key's counters)
/// into one call of the script's batch form, without timers: a call arriving while its slot has no batch in flight is sent
/// at once, alone, with the single form (a lone request waits for nothing); calls arriving meanwhile queue and go
/// together, up to <see cref="MaxBatch"/>, when the batch in flight returns. Redis runs a batch's members in order, each
/// with the single call's logic, so the counters end exactly as after those calls one by one (docs/governance.md).
/// </summary>
public sealed class ScriptBatcher(IConnectionMultiplexer redis, RedisScript single, RedisScript batch, int inFlightPerSlot = 1)
{
    /// <summary>The most calls in one batch: bounds the script's run time, during which Redis serves nobody else.</summary>
    public const int MaxBatch = 64;

    private readonly ConcurrentDictionary<string, Lane> lanes = new(StringComparer.Ordinal);
    private long scriptCalls;

    /// <summary>Script calls sent to Redis (a batch counts once): how well calls are coalesced.</summary>
    public long ScriptCalls => Interlocked.Read(ref scriptCalls);

    /// <summary>
    /// Runs the script for these keys and arguments, alone or in its slot's next batch; the result is the single call's.
    /// Cancelled while queued, the call is never sent (the task is cancelled); once sent, it completes with the result.
    /// A Redis failure fails every call of the batch, and those queued behind it, with the same exception.
    /// </summary>
    public Task<RedisResult> RunAsync(string slot, RedisKey[] keys, RedisValue[] values, CancellationToken ct = default)
    {
        var call = new Call(keys, values);
        while (true)
        {
            var lane = lanes.GetOrAdd(slot, static _ => new Lane());
            lock (lane)
            {
                if (lane.Retired)
                {
                    continue; // removed from the map as it went idle: use (or make) the current one
                }

                if (lane.InFlight < inFlightPerSlot && lane.Queue.Count == 0)
                {
                    lane.InFlight++;
                }
                else
                {
                    lane.Queue.Enqueue(call);
                    call.Watch(ct);
                    return call.Result.Task;
                }
            }

            call.State = Call.Sent;
            _ = SendAsync(slot, lane, [call]);
            return call.Result.Task;
        }
    }

    private async Task SendAsync(string slot, Lane lane, List<Call> calls)
    {
        while (true)
        {
            Exception? failure = null;
            try
            {
                await RunBatchAsync(calls);
            }
            catch (Exception ex)
            {
                failure = ex;
                foreach (var call in calls)
                {
                    call.Result.TrySetException(ex);
                }
            }

            lock (lane)
            {
                calls = lane.Queue.Count == 0 ? [] : Drain(lane, MaxBatch);
                if (failure is not null && RedisFailures.IsTransient(failure))
                {
                    // The queued calls fail too: sent concurrently instead, they would have failed alike (and not one timeout later).
                    calls.AddRange(Drain(lane, int.MaxValue));
                    foreach (var call in calls)
                    {
                        call.Result.TrySetException(failure);
                    }

                    calls.Clear();
                }

                if (calls.Count == 0)
                {
                    if (--lane.InFlight == 0 && lane.Queue.Count == 0)
                    {
                        lane.Retired = true;
                        lanes.TryRemove(new KeyValuePair<string, Lane>(slot, lane));
                    }

                    return;
                }
            }
        }
    }

    /// <summary>Up to <paramref name="max"/> queued calls still wanted (a cancelled one is dropped), now marked sent.</summary>
    private static List<Call> Drain(Lane lane, int max)
    {
        var calls = new List<Call>(Math.Min(lane.Queue.Count, MaxBatch));
        while (calls.Count < max && lane.Queue.TryDequeue(out var call))
        {
            if (Interlocked.CompareExchange(ref call.State, Call.Sent, Call.Queued) == Call.Queued)
            {
                call.Unwatch();
                calls.Add(call);
            }
        }

        return calls;
    }

    private async Task RunBatchAsync(List<Call> calls)
    {
        Interlocked.Increment(ref scriptCalls);
        var db = redis.GetDatabase();
        if (calls.Count == 1)
        {
            calls[0].Result.TrySetResult(await single.EvaluateAsync(db, calls[0].Keys, calls[0].Values));
            return;
        }

        var (keys, values) = Pack(calls);
        var results = (RedisResult[])(await batch.EvaluateAsync(db, keys, values))!;
        for (var i = 0; i < calls.Count; i++)
        {
            calls[i].Result.TrySetResult(results[i]);
        }
    }

    /// <summary>The batch script's keys and arguments: members, then per member its key count, argument count and arguments.</summary>
    private static (RedisKey[] Keys, RedisValue[] Values) Pack(List<Call> calls)
    {
        int keyCount = 0, valueCount = 1;
        foreach (var call in calls)
        {
            keyCount += call.Keys.Length;
            valueCount += 2 + call.Values.Length;
        }

        var keys = new RedisKey[keyCount];
        var values = new RedisValue[valueCount];
        values[0] = calls.Count;
        int k = 0, v = 1;
        foreach (var call in calls)
        {
            call.Keys.CopyTo(keys, k);
            k += call.Keys.Length;
            values[v] = call.Keys.Length;
            values[v + 1] = call.Values.Length;
            call.Values.CopyTo(values, v + 2);
            v += 2 + call.Values.Length;
        }

        return (keys, values);
    }

    /// <summary>A slot's calls: how many batches are in flight, and the calls waiting for the next.</summary>
    private sealed class Lane
    {
        public int InFlight;
        public bool Retired;
        public readonly Queue<Call> Queue = new();
    }

    private sealed class Call(RedisKey[] keys, RedisValue[] values)
    {
        public const int Queued = 0;
        public const int Sent = 1;
        private const int Cancelled = 2;

        public int State;
        private CancellationTokenRegistration registration;

        public RedisKey[] Keys => keys;
        public RedisValue[] Values => values;

        // Completed off the batch's thread: a batch's callers go on in parallel, not one after the other on this thread.
        public TaskCompletionSource<RedisResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Watch(CancellationToken ct)
        {
            if (ct.CanBeCanceled)
            {
                registration = ct.UnsafeRegister(static (state, token) =>
                {
                    var call = (Call)state!;
                    if (Interlocked.CompareExchange(ref call.State, Cancelled, Queued) == Queued)
                    {
                        call.Result.TrySetCanceled(token);
                    }
                }, this);
            }
        }

        public void Unwatch() => registration.Dispose();
    }
}
