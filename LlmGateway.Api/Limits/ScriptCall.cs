using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// One admission or settle waiting in <see cref="ScriptBatcher"/>, and how a batch of them becomes one script call: a lone
/// call runs the single script, calls of one kind its batch form, settles followed by admissions the mixed form
/// (<see cref="LimitScripts.SettleThenAdmit"/>). Each member's result is the single call's.
/// </summary>
internal sealed class ScriptCall(RedisKey[] keys, RedisValue[] values, bool settle)
{
    public const int Queued = 0;
    public const int Sent = 1;
    private const int Cancelled = 2;

    public int State;
    private CancellationTokenRegistration registration;

    public RedisKey[] Keys => keys;
    public RedisValue[] Values => values;
    public bool Settle => settle;

    // Completed off the batch's thread: a batch's callers go on in parallel, not one after the other on this thread.
    public TaskCompletionSource<RedisResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Watch(CancellationToken ct)
    {
        if (ct.CanBeCanceled)
        {
            registration = ct.UnsafeRegister(static (state, token) =>
            {
                var call = (ScriptCall)state!;
                if (Interlocked.CompareExchange(ref call.State, Cancelled, Queued) == Queued)
                {
                    call.Result.TrySetCanceled(token);
                }
            }, this);
        }
    }

    public void Unwatch() => registration.Dispose();

    /// <summary>Runs <paramref name="calls"/> (its settles first, then its admissions) as one script call.</summary>
    public static async Task RunAsync(IDatabaseAsync db, List<ScriptCall> calls)
    {
        var settles = 0;
        while (settles < calls.Count && calls[settles].Settle)
        {
            settles++;
        }

        if (calls.Count == 1)
        {
            var script = settles == 1 ? LimitScripts.Settle : LimitScripts.Admit;
            calls[0].Result.TrySetResult(await script.EvaluateAsync(db, calls[0].Keys, calls[0].Values));
            return;
        }

        var mixed = settles > 0 && settles < calls.Count;
        var (keys, values) = Pack(calls.ConvertAll(call => (call.Keys, call.Values)), mixed ? settles : null);
        var batch = mixed ? LimitScripts.SettleThenAdmit : settles > 0 ? LimitScripts.SettleBatch : LimitScripts.AdmitBatch;
        var results = (RedisResult[])(await batch.EvaluateAsync(db, keys, values))!;
        for (var i = 0; i < calls.Count; i++)
        {
            calls[i].Result.TrySetResult(results[i]);
        }
    }

    /// <summary>
    /// The batch script's keys and arguments (batch.lua): each distinct key list once — the members of one key and team hold
    /// the same cached array, so a batch sends its keys once rather than once per member —, then members, per member where
    /// its keys start, its key count, argument count and arguments; for the mixed form, last, how many members are settles.
    /// </summary>
    internal static (RedisKey[] Keys, RedisValue[] Values) Pack(IReadOnlyList<(RedisKey[] Keys, RedisValue[] Values)> calls, int? settles)
    {
        var starts = new int[calls.Count];
        int keyCount = 0, valueCount = settles is null ? 1 : 2;
        for (var i = 0; i < calls.Count; i++)
        {
            starts[i] = -1;
            for (var j = 0; j < i; j++)
            {
                if (ReferenceEquals(calls[j].Keys, calls[i].Keys))
                {
                    starts[i] = starts[j];
                    break;
                }
            }

            if (starts[i] < 0)
            {
                starts[i] = keyCount;
                keyCount += calls[i].Keys.Length;
            }

            valueCount += 3 + calls[i].Values.Length;
        }

        var keys = new RedisKey[keyCount];
        var values = new RedisValue[valueCount];
        values[0] = calls.Count;
        var v = 1;
        for (var i = 0; i < calls.Count; i++)
        {
            var (memberKeys, memberValues) = calls[i];
            memberKeys.CopyTo(keys, starts[i]); // a shared list is copied again onto itself: the same keys
            values[v] = starts[i];
            values[v + 1] = memberKeys.Length;
            values[v + 2] = memberValues.Length;
            memberValues.CopyTo(values, v + 3);
            v += 3 + memberValues.Length;
        }

        if (settles is { } count)
        {
            values[v] = count;
        }

        return (keys, values);
    }
}
