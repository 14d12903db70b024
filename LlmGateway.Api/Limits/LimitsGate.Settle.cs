using LlmGateway.Api.Pricing;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>Settling an admission: the reservation replaced by the actual cost, coalesced per slot like admissions.</summary>
public sealed partial class LimitsGate
{
    /// <summary>
    /// An admission whose request was cancelled while its batch was in Redis is released at once (its reservation and
    /// parallel lease given back) and the caller sees the cancellation, as when it was cancelled before being sent.
    /// </summary>
    private Admission AdmittedUnlessCancelled(Admission admission, string requestId, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
        {
            _ = SettleAsync(admission, requestId, actualTokens: 0, actualCost: 0m);
            ct.ThrowIfCancellationRequested();
        }

        return admission;
    }

    public async Task SettleAsync(Admission admission, string requestId, long actualTokens, decimal actualCost)
    {
        if (admission.Scopes.Count == 0)
        {
            return;
        }

        var cost = Money.ToNanos(actualCost);
        if (admission.Local)
        {
            local.Settle(requestId, cost, DateTimeOffset.UtcNow);
            return;
        }

        var overran = OverranScopes(admission, actualTokens, cost);
        // Once per quiet period (a second) per scope: a key whose every answer overruns must not make each replica scan its
        // leases and publish at its request rate.
        var endLeases = overran is not null && options.Leases && !AllQuiet(overran);
        var arguments = SettleArguments(admission.Scopes, admission.SettleId ?? requestId, admission.EstimatedTokens, actualTokens, admission.Bucket, cost, admission.ReservedNanos);
        try
        {
            // A parallel lease is given back at once: a client whose next request reaches another replica (which cannot carry
            // this settle) must find its slot free. A waiting reservation only holds budget and tokens a moment longer — but an
            // overrun's holds less than it cost (or counted fewer tokens than it used), so it is sent at once too.
            var settled = batcher.SettleAsync(admission.Slot, admission.RedisKeys, arguments, mayWait: !admission.HoldsParallelLease && overran is null);
            if (endLeases)
            {
                EndLeasesOf(overran!); // after the settle is queued: the scopes' next admissions here go behind it
            }

            await settled;
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            // Sent again when Redis answers (a no-op if it ran after all); the ledger keeps the actual cost meanwhile.
            local.OnRedisFailed();
            local.Replay.QueueSettle(admission.RedisKeys, ToReplay(admission.Scopes, arguments));
            logger.LogWarning("Redis did not answer the settle of {RequestId} ({Error})", requestId, ex.GetType().Name);
        }

        if (endLeases)
        {
            AnnounceOverrun(overran!); // once the settle counted it: the other replicas' next admissions see it
        }
    }

    /// <summary>
    /// A settle sent again after an outage may have run already (a frozen Redis runs late what it was sent). Under a budget
    /// its reservation tells (<c>settle.lua</c> counts only a live one); without one nothing does, so the replay corrects no
    /// token count: the minute keeps the estimate when the first never ran (above the truth) instead of a second
    /// correction when it did (below it).
    /// </summary>
    private static RedisValue[] ToReplay(IReadOnlyList<LimitScope> scopes, RedisValue[] arguments)
    {
        foreach (var scope in scopes)
        {
            if (scope.Budget is not null)
            {
                return arguments;
            }
        }

        var replay = (RedisValue[])arguments.Clone();
        replay[2] = replay[3]; // estimated tokens = actual tokens: nothing to correct
        return replay;
    }

    /// <summary>
    /// A timed-out admission may still run when a slow Redis catches up (a frozen server executes what it was sent): a
    /// release queued right behind it drops what it would reserve, instead of leaving it held for the reservation lease.
    /// Harmless when the admission never ran: the settle script only releases a reservation it finds.
    /// </summary>
    private void ReleaseAbandoned(ScopeSet set, string requestId, long reservedNanos)
    {
        var arguments = SettleArguments(set.Scopes, requestId, estimatedTokens: 0, actualTokens: 0, bucket: "0", cost: 0, reservedNanos);
        SendNowOrAfterOutage(LimitScripts.Settle, set.Keys, arguments, local.Replay.QueueSettle);
    }

    /// <summary>Sends an idempotent release at once (on the connection, behind what it undoes); failing, after the outage.</summary>
    private void SendNowOrAfterOutage(RedisScript script, RedisKey[] keys, RedisValue[] arguments, Action<RedisKey[], RedisValue[]> queue) =>
        _ = script.EvaluateAsync(redis.GetDatabase(), keys, arguments).ContinueWith(
            (release, _) =>
            {
                _ = release.Exception; // observed: Redis failing is expected here
                queue(keys, arguments);
            }, null,
            CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static RedisValue[] SettleArguments(
        IReadOnlyList<LimitScope> scopes, string requestId, long estimatedTokens, long actualTokens, RedisValue bucket, long cost, long reservedNanos)
    {
        var arguments = new RedisValue[7 + scopes.Count * 3];
        arguments[0] = requestId;
        arguments[1] = scopes.Count;
        arguments[2] = estimatedTokens;
        arguments[3] = actualTokens;
        arguments[4] = bucket;
        arguments[5] = cost;
        arguments[6] = reservedNanos;
        for (var i = 0; i < scopes.Count; i++)
        {
            arguments[7 + i * 3] = scopes[i].Tpm is null ? Off : On;
            arguments[8 + i * 3] = scopes[i].Parallel is null ? Off : On;
            arguments[9 + i * 3] = scopes[i].Budget is null ? Off : On;
        }

        return arguments;
    }
}
