using System.Collections.Concurrent;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// Coalesces the admissions and settles of one hash slot (a "slot": a team's or a key's counters) into as few script calls
/// as exactness allows, without delaying an admission: an admission arriving while its slot has no call in flight is sent at
/// once (a lone request waits for nothing), with the settles waiting in its slot; calls arriving meanwhile go together,
/// up to <see cref="MaxBatch"/> of each kind, when the call in flight returns. A settle waits for the slot's next call,
/// up to about <see cref="LimitsOptions.SettleLinger"/>, then goes alone: a sequential client's next admission carries its
/// previous request's settle (one Redis round trip per request instead of two). A call's settles run before its
/// admissions, each kind in order with the single call's logic, so the counters end as after those calls one by one
/// (docs/governance.md). Until its settle runs, a request's reservation (at least its cost) stays counted: budgets hold.
/// </summary>
public sealed class ScriptBatcher(IConnectionMultiplexer redis, int inFlightPerSlot = 1, TimeSpan settleLinger = default)
{
    /// <summary>The most calls of one kind in one batch: bounds the script's run time, during which Redis serves nobody else.</summary>
    public const int MaxBatch = 64;

    private readonly ConcurrentDictionary<string, Lane> lanes = new(StringComparer.Ordinal);
    private long scriptCalls;
    private int flushLoopRunning;

    /// <summary>Script calls sent to Redis (a batch counts once): how well calls are coalesced.</summary>
    public long ScriptCalls => Interlocked.Read(ref scriptCalls);

    /// <summary>
    /// Runs <c>admit.lua</c> for these keys and arguments, alone or in its slot's next batch; the result is the single call's.
    /// Cancelled while queued, the call is never sent (the task is cancelled); once sent, it completes with the result.
    /// A Redis failure fails every call of the batch, and those queued behind it, with the same exception.
    /// </summary>
    public Task<RedisResult> AdmitAsync(string slot, RedisKey[] keys, RedisValue[] values, CancellationToken ct = default)
    {
        var call = new ScriptCall(keys, values, settle: false);
        while (true)
        {
            var lane = lanes.GetOrAdd(slot, static slot => new Lane(slot));
            List<ScriptCall> batch;
            lock (lane)
            {
                if (lane.Retired)
                {
                    continue; // removed from the map as it went idle: use (or make) the current one
                }

                if (lane.InFlight >= inFlightPerSlot || lane.Admissions.Count > 0)
                {
                    lane.Admissions.Enqueue(call);
                    call.Watch(ct);
                    return call.Result.Task;
                }

                batch = StartCall(lane, call);
            }

            _ = SendAsync(lane, batch);
            return call.Result.Task;
        }
    }

    /// <summary>
    /// Runs <c>settle.lua</c> with the slot's next call, or alone after <see cref="LimitsOptions.SettleLinger"/> (at once when
    /// that is zero, or the settle <paramref name="mayWait"/> not, and the slot is idle). Completes when Redis has settled it;
    /// fails like an admission.
    /// </summary>
    public Task<RedisResult> SettleAsync(string slot, RedisKey[] keys, RedisValue[] values, bool mayWait = true)
    {
        var linger = mayWait ? settleLinger : TimeSpan.Zero;
        var call = new ScriptCall(keys, values, settle: true);
        while (true)
        {
            var lane = lanes.GetOrAdd(slot, static slot => new Lane(slot));
            List<ScriptCall> batch;
            lock (lane)
            {
                if (lane.Retired)
                {
                    continue;
                }

                if (linger > TimeSpan.Zero || lane.InFlight >= inFlightPerSlot || lane.Admissions.Count > 0)
                {
                    lane.Settles.Enqueue(call);
                    if (lane.InFlight == 0)
                    {
                        EnsureFlushLoop(); // nothing in flight would take it along when it returns
                    }

                    return call.Result.Task;
                }

                batch = StartCall(lane, call);
            }

            _ = SendAsync(lane, batch);
            return call.Result.Task;
        }
    }

    /// <summary>
    /// Sends every waiting settle of this replica now and waits for them: what reads a budget's spend (the management API,
    /// the budget alerts) sees every request this replica has answered. Failures are the settles' own to handle.
    /// </summary>
    public async Task FlushSettlesAsync()
    {
        List<Task>? waits = null;
        foreach (var lane in lanes.Values)
        {
            lock (lane)
            {
                foreach (var settle in lane.Settles)
                {
                    (waits ??= []).Add(settle.Result.Task);
                }
            }
        }

        if (waits is not null)
        {
            FlushIdleLanes();
            await Task.WhenAll(waits).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Starts the flush loop unless it runs: one loop for every slot, running only while settles wait, that sends every
    /// <see cref="LimitsOptions.SettleLinger"/> the waiting settles of idle slots. (A timer per slot, armed at each settle and
    /// disarmed by the next admission, would wake .NET's timer thread at every request: arming a timer due sooner than all
    /// others does, and thread wake-ups are what a request costs most on a small VM; docs/benchmarks.md.)
    /// </summary>
    private void EnsureFlushLoop()
    {
        if (Interlocked.Exchange(ref flushLoopRunning, 1) == 0)
        {
            _ = FlushLoopAsync();
        }
    }

    private async Task FlushLoopAsync()
    {
        while (true)
        {
            await Task.Delay(settleLinger).ConfigureAwait(false);
            if (!FlushIdleLanes())
            {
                // Nothing waited: stop, unless a settle came in meanwhile and no other loop took over.
                Volatile.Write(ref flushLoopRunning, 0);
                if (!AnySettleWaiting() || Interlocked.Exchange(ref flushLoopRunning, 1) == 1)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Sends the waiting settles of every slot with nothing in flight; true when any settle was waiting.</summary>
    private bool FlushIdleLanes()
    {
        var waited = false;
        foreach (var lane in lanes.Values)
        {
            List<ScriptCall> batch;
            lock (lane)
            {
                if (lane.Retired || lane.Settles.Count == 0)
                {
                    continue;
                }

                waited = true;
                if (lane.InFlight >= inFlightPerSlot)
                {
                    continue; // the call in flight takes them along when it returns
                }

                lane.InFlight++;
                batch = TakeSettles(lane);
            }

            _ = SendAsync(lane, batch);
        }

        return waited;
    }

    private bool AnySettleWaiting() => lanes.Values.Any(lane =>
    {
        lock (lane)
        {
            return lane.Settles.Count > 0;
        }
    });

    private async Task SendAsync(Lane lane, List<ScriptCall> calls)
    {
        while (true)
        {
            Exception? failure = null;
            try
            {
                Interlocked.Increment(ref scriptCalls);
                await ScriptCall.RunAsync(redis.GetDatabase(), calls);
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
                calls = TakeSettles(lane);
                calls.AddRange(TakeAdmissions(lane, MaxBatch));
                if (failure is not null && RedisFailures.IsTransient(failure))
                {
                    // The queued calls fail too: sent concurrently instead, they would have failed alike (and not one timeout later).
                    calls.AddRange(TakeSettles(lane, int.MaxValue));
                    calls.AddRange(TakeAdmissions(lane, int.MaxValue));
                    foreach (var call in calls)
                    {
                        call.Result.TrySetException(failure);
                    }

                    calls.Clear();
                }

                if (calls.Count == 0)
                {
                    if (--lane.InFlight == 0 && lane.Admissions.Count == 0 && lane.Settles.Count == 0)
                    {
                        lane.Retired = true;
                        lanes.TryRemove(new KeyValuePair<string, Lane>(lane.Slot, lane));
                    }

                    return;
                }
            }
        }
    }

    /// <summary>A call for the slot now: its waiting settles, then <paramref name="call"/> (the caller holds the lane's lock).</summary>
    private static List<ScriptCall> StartCall(Lane lane, ScriptCall call)
    {
        lane.InFlight++;
        var batch = TakeSettles(lane);
        batch.Add(call);
        return batch;
    }

    /// <summary>The waiting settles, up to <paramref name="max"/>, in order (the caller holds the lane's lock).</summary>
    private static List<ScriptCall> TakeSettles(Lane lane, int max = MaxBatch)
    {
        var calls = new List<ScriptCall>(Math.Min(lane.Settles.Count, MaxBatch) + 1);
        while (calls.Count < max && lane.Settles.TryDequeue(out var call))
        {
            call.State = ScriptCall.Sent;
            calls.Add(call);
        }

        return calls;
    }

    /// <summary>Up to <paramref name="max"/> queued admissions still wanted (a cancelled one is dropped), now marked sent.</summary>
    private static List<ScriptCall> TakeAdmissions(Lane lane, int max)
    {
        var calls = new List<ScriptCall>(Math.Min(lane.Admissions.Count, MaxBatch));
        while (calls.Count < max && lane.Admissions.TryDequeue(out var call))
        {
            if (Interlocked.CompareExchange(ref call.State, ScriptCall.Sent, ScriptCall.Queued) == ScriptCall.Queued)
            {
                call.Unwatch();
                calls.Add(call);
            }
        }

        return calls;
    }

    /// <summary>A slot's calls: how many are in flight, and the admissions and settles waiting for the next.</summary>
    private sealed class Lane(string slot)
    {
        public int InFlight;
        public bool Retired;
        public readonly Queue<ScriptCall> Admissions = new();
        public readonly Queue<ScriptCall> Settles = new();

        public string Slot => slot;
    }
}
