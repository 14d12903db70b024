using System.Collections.Concurrent;
using LlmGateway.Api.Pricing;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// Leased admission (<see cref="LimitsOptions.Leases"/>, <c>lease.lua</c>): a replica takes a key's next admissions from
/// Redis ahead of time, all counted there when granted, and admits the key's requests on them in process, so a request
/// it covers makes no Redis call before its upstream call. Its settle is the same as any request's. A lease is asked
/// for when a key's request finds none (that request is admitted through Redis meanwhile) and again when half of it
/// is used; it is used for <see cref="LimitsOptions.LeaseLife"/> at most, then what it did not use is given back.
/// Never near a limit (the script grants none there) and never for a key with a parallel limit, a request with an end
/// user or tags: those are admitted one by one as without leases.
/// </summary>
public sealed partial class LimitsGate
{
    private const int LeaseSizeMost = 256;
    private const int LeaseSizeLeast = 4;
    /// <summary>The longest a lease may be used; <c>admit.lua</c>'s <c>admit_lease_most</c> keeps rpm windows that much longer.</summary>
    private const long LeaseLifeMostMs = 5000;

    /// <summary>Where a replica announces the scopes a request overran (<see cref="AnnounceOverrun"/>).</summary>
    public static readonly RedisChannel LeaseEndsChannel = RedisKeys.Channel("leases:end");

    /// <summary>Every lease not given back yet, with its scopes: given back when the gateway stops, or when one of them is overrun.</summary>
    private readonly ConcurrentDictionary<Lease, ScopeSet> liveLeases = new();
    private volatile bool leasesStopped;
    private long leasedAdmissions;

    /// <summary>How many leases this replica holds that were not given back yet.</summary>
    public int LeasesOut => liveLeases.Count;

    /// <summary>How many of them count in the scope of this <see cref="LimitScope.Identity"/>.</summary>
    internal int LeasesCountingIn(string scope) => liveLeases.Count(live => CountsIn(live.Value, [scope]));

    /// <summary>How many requests this replica admitted on leases (no Redis call on their path).</summary>
    public long LeasedAdmissions => Interlocked.Read(ref leasedAdmissions);

    /// <summary>How many leases this replica asked Redis for (granted or not).</summary>
    public long LeaseAsks => Interlocked.Read(ref leaseAsks);
    private long leaseAsks;

    /// <summary>The admissions of one lease, used in order by this replica's requests until it ends or is given back.</summary>
    internal sealed class Lease(string id, int count, long costEach, long tokensEach, string bucket, long endsAtTick)
    {
        private int taken;
        private int closed;

        public string Id => id;
        public int Count => count;
        public long CostEach => costEach;
        public long TokensEach => tokensEach;
        public string Bucket => bucket;
        public long EndsAtTick => endsAtTick;
        public long? RemainingRequests { get; init; }
        public long? RemainingTokens { get; init; }
        public decimal?[] BudgetUsed { get; init; } = [];
        /// <summary>The request sizes this lease was asked for (its admissions are larger: <see cref="WithRoom"/>).</summary>
        public long AskedCost { get; init; }
        public long AskedTokens { get; init; }

        /// <summary>
        /// The next admission (1-based); 0 when none is left or the lease ended; minus the admission when the lease ended
        /// while it was taken (a thread paused between the two reads): that one must be given back, not used — used after
        /// the end, its tokens would count in a minute that is over.
        /// </summary>
        public int TryTake()
        {
            if (Environment.TickCount64 >= endsAtTick)
            {
                return 0;
            }

            var next = Interlocked.Increment(ref taken);
            if (next > count)
            {
                return 0;
            }

            return Environment.TickCount64 < endsAtTick ? next : -next;
        }

        public bool Used => Volatile.Read(ref taken) >= count;

        /// <summary>Ends the lease: how many admissions were used (the first ones), or null when it had ended before.</summary>
        public int? Close()
        {
            if (Interlocked.Exchange(ref closed, 1) == 1)
            {
                return null;
            }

            return Math.Min(Interlocked.Exchange(ref taken, int.MaxValue / 2), count);
        }
    }

    /// <summary>A key's leases on one model: the one in use, the next one (asked for when half of it is used).</summary>
    internal sealed class LeaseSlot(int size)
    {
        public Lease? Current;
        public Lease? Next;
        public int Granting;
        public int Size = size;
        /// <summary>Until when (<see cref="Environment.TickCount64"/>) none is asked for: the last ask found the key near a limit.</summary>
        public long QuietUntilTick;
        /// <summary>The largest worst-case cost and token estimate of a request the leases could not take: the next lease's sizes.</summary>
        public long CostEach;
        public long TokensEach;
    }

    private static bool Leasable(IReadOnlyList<LimitScope> scopes)
    {
        foreach (var scope in scopes)
        {
            if (scope.Parallel is not null)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Admits a request on a lease of its key (no Redis call), or null: it is then admitted through Redis.</summary>
    private Admission? AdmitOnLease(ScopeSet set, long tokens, long cost)
    {
        var slot = set.Leases ?? Interlocked.CompareExchange(ref set.Leases, new LeaseSlot(Math.Clamp(options.LeaseSize, 2, LeaseSizeMost)), null) ?? set.Leases;
        for (var tries = 0; tries < 2; tries++)
        {
            var lease = Volatile.Read(ref slot.Current);
            if (lease is null)
            {
                break;
            }

            if (cost > lease.CostEach || tokens > lease.TokensEach)
            {
                break;
            }

            var taken = lease.TryTake();
            if (taken < 0)
            {
                // Taken as the lease ended: settled at no cost at once (its return counts it as used), not used.
                _ = SettleAsync(OnLease(set, lease, -taken), lease.Id, actualTokens: 0, actualCost: 0m);
            }
            else if (taken > 0)
            {
                if (taken == (lease.Count + 1) / 2)
                {
                    AskForLease(set, slot, lease.AskedCost, lease.AskedTokens); // the sizes asked for, not the room added to them
                }

                if (taken == lease.Count)
                {
                    _ = ReturnLeaseAsync(set, slot, lease); // used up: its rpm entry now, so no refusal waits for it
                }

                Interlocked.Increment(ref leasedAdmissions);
                return OnLease(set, lease, taken);
            }

            // Used up or ended: the next lease (if one came) takes over, and this one is given back.
            var next = Volatile.Read(ref slot.Next);
            if (next is null || Interlocked.CompareExchange(ref slot.Current, next, lease) != lease)
            {
                break;
            }

            Interlocked.CompareExchange(ref slot.Next, null, next);
            _ = ReturnLeaseAsync(set, slot, lease);
        }

        // Remember the size of what did not fit, so the next lease takes it; racing writers only lose a maximum for one lease.
        if (cost > Volatile.Read(ref slot.CostEach))
        {
            Volatile.Write(ref slot.CostEach, cost);
        }

        if (tokens > Volatile.Read(ref slot.TokensEach))
        {
            Volatile.Write(ref slot.TokensEach, tokens);
        }

        return null; // admitted through Redis, which then asks for a lease (LeaseAfterAdmission)
    }

    /// <summary>
    /// After a request of a leasable key was admitted through Redis: a lease for the next ones, asked for only now so it
    /// is counted after this request (whose rate-limit headers then say what it alone left).
    /// </summary>
    private void LeaseAfterAdmission(ScopeSet set, long tokens, long cost)
    {
        if (set.Leases is { } slot)
        {
            AskForLease(set, slot, cost, tokens);
        }
    }

    private static Admission OnLease(ScopeSet set, Lease lease, int taken) => new()
    {
        Scopes = set.Scopes,
        RedisKeys = set.Keys,
        Slot = set.Slot,
        Bucket = lease.Bucket,
        EstimatedTokens = lease.TokensEach,
        ReservedNanos = lease.CostEach,
        SettleId = lease.Id + "#" + taken.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RemainingRequests = lease.RemainingRequests is { } requests ? requests + (lease.Count - taken) : null,
        RemainingTokens = lease.RemainingTokens is { } left ? Math.Max(0, left + (lease.Count - taken) * lease.TokensEach) : null,
        BudgetUsed = BudgetUsedAt(lease, taken),
    };

    /// <summary>
    /// Spent plus reserved per budget after the <paramref name="taken"/>-th admission of a lease, as an admission through
    /// Redis would say it: what Redis counted at the grant, less the lease's admissions not used yet (for the 80% alerts,
    /// soft budgets and <c>x-litellm-key-spend</c>).
    /// </summary>
    private static decimal?[] BudgetUsedAt(Lease lease, int taken)
    {
        var unused = Money.FromNanos((lease.Count - taken) * lease.CostEach);
        var used = new decimal?[lease.BudgetUsed.Length];
        for (var i = 0; i < used.Length; i++)
        {
            used[i] = lease.BudgetUsed[i] - unused;
        }

        return used;
    }

    /// <summary>Asks Redis for a lease in the background, one request at a time per key and model.</summary>
    private void AskForLease(ScopeSet set, LeaseSlot slot, long cost, long tokens)
    {
        if (leasesStopped || Environment.TickCount64 < Volatile.Read(ref slot.QuietUntilTick) || Quiet(set)
            || Interlocked.CompareExchange(ref slot.Granting, 1, 0) != 0)
        {
            return;
        }

        Interlocked.Increment(ref leaseAsks);
        _ = GrantLeaseAsync(set, slot, Math.Max(cost, Volatile.Read(ref slot.CostEach)), Math.Max(tokens, Volatile.Read(ref slot.TokensEach)));
    }

    /// <summary>
    /// A lease's admissions are a quarter larger than the request that asked: a conversation's next turn (the last one plus
    /// what it added: a tool's result, the answer) still fits, where one sized to the last request never would. Exact
    /// either way: each admission reserves at least its request's worst case, and what a lease did not use is given back.
    /// </summary>
    private static long WithRoom(long size) => size + size / 4;

    /// <summary>Asks Redis for a lease whose admissions take <see cref="WithRoom"/> of the request sizes asked for.</summary>
    private async Task GrantLeaseAsync(ScopeSet set, LeaseSlot slot, long askedCost, long askedTokens)
    {
        var (cost, tokens) = (WithRoom(askedCost), WithRoom(askedTokens));
        try
        {
            var sent = Environment.TickCount64;
            var now = DateTimeOffset.UtcNow;
            var lifeMs = Math.Min((long)options.LeaseLife.TotalMilliseconds, LeaseLifeMostMs);
            // A lease ends before its scopes' budget window does (a later request counts in the next window).
            if (set.ValidUntil != DateTimeOffset.MaxValue)
            {
                lifeMs = Math.Min(lifeMs, (long)(set.ValidUntil - now).TotalMilliseconds - 50);
            }

            if (lifeMs < 20)
            {
                return;
            }

            var id = "lease:" + Guid.NewGuid().ToString("N");
            var arguments = AdmitArguments(set.Scopes, id, tokens, cost, now);
            Array.Resize(ref arguments, arguments.Length + 2);
            arguments[^2] = slot.Size;
            arguments[^1] = lifeMs;
            var result = await GrantOrReturnAsync(set, arguments, id, tokens, cost, lifeMs);
            for (var seeded = 0; (int)result[0] == -1 && seeded <= set.Scopes.Count; seeded++)
            {
                // A budget counter to seed from the ledger first (a new key or team), as an admission does.
                await seeder.SeedAsync(set.Scopes[(int)result[1]], now, CancellationToken.None);
                result = await GrantOrReturnAsync(set, arguments, id, tokens, cost, lifeMs);
            }

            var granted = (int)result[0];
            if (granted < 2)
            {
                // Near a limit: its requests go through Redis one by one, without a lease asked for after each of them.
                Volatile.Write(ref slot.QuietUntilTick, Environment.TickCount64 + Math.Max(lifeMs, 1000));
                return;
            }

            // Used only within the tpm minute it counts in (Redis' clock), and no longer than its rpm entry says.
            var redisNow = (long)result[^1];
            var inMinute = 60_000 - redisNow % 60_000 - 20;
            var lease = new Lease(id, granted, cost, tokens, result[1].ToString(), sent + Math.Min(lifeMs, inMinute))
            {
                RemainingRequests = (long)result[2] < 0 ? null : (long)result[2],
                RemainingTokens = (long)result[3] < 0 ? null : (long)result[3],
                BudgetUsed = BudgetUsedOf(set.Scopes.Count, result),
                AskedCost = askedCost,
                AskedTokens = askedTokens,
            };
            liveLeases[lease] = set;
            if (leasesStopped)
            {
                await ReturnLeaseAsync(set, slot, lease); // granted while the gateway stopped: not used
                return;
            }

            if (Quiet(set))
            {
                await ReturnLeaseAsync(set, slot, lease); // a request overran while it was granted (EndLeasesOf): not used
                return;
            }

            // What did not fit the last lease is in this one: sizes to remember start again from here.
            Volatile.Write(ref slot.CostEach, 0);
            Volatile.Write(ref slot.TokensEach, 0);
            RememberLeased(set, lease);
            if (Interlocked.CompareExchange(ref slot.Current, lease, null) is { } current)
            {
                if (current.Used)
                {
                    slot.Size = Math.Min(slot.Size * 2, LeaseSizeMost); // used up within its life: ask for more next time
                }

                // The lease in use keeps going; this one follows it. One replacing an ended lease is used at once.
                var old = Interlocked.Exchange(ref slot.Next, lease);
                if (old is not null)
                {
                    _ = ReturnLeaseAsync(set, slot, old);
                }
            }

            _ = ReturnWhenEndedAsync(set, slot, lease);
        }
        catch (Exception ex)
        {
            // Only a shortcut lost: the key's requests are admitted through Redis, one by one, and ask again.
            logger.Log(RedisFailures.IsTransient(ex) ? LogLevel.Debug : LogLevel.Warning, "No lease ({Error}); requests are admitted through Redis",
                ex.GetType().Name);
        }
        finally
        {
            Volatile.Write(ref slot.Granting, 0);
        }
    }

    private async Task<RedisResult[]> GrantOrReturnAsync(ScopeSet set, RedisValue[] arguments, string id, long tokens, long cost, long lifeMs)
    {
        try
        {
            return (RedisResult[])(await LimitScripts.LeaseGrant.EvaluateAsync(redis.GetDatabase(), set.Keys, arguments))!;
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            ReturnAbandonedGrant(set, id, tokens, cost, lifeMs);
            throw;
        }
    }

    /// <summary>Spent plus reserved per budget scope from an admission's or a lease's answer (from its fifth element).</summary>
    private static decimal?[] BudgetUsedOf(int scopes, RedisResult[] result)
    {
        var used = new decimal?[scopes];
        for (var i = 0; i < scopes; i++)
        {
            var total = (long)result[4 + i];
            used[i] = total < 0 ? null : Money.FromNanos(total);
        }

        return used;
    }

    /// <summary>This replica's view of each budget for a Redis outage: the lease's reservations included.</summary>
    private void RememberLeased(ScopeSet set, Lease lease)
    {
        for (var i = 0; i < lease.BudgetUsed.Length; i++)
        {
            if (lease.BudgetUsed[i] is { } used)
            {
                local.RememberUsed((string)set.Keys[i * LimitScope.KeyCount + LimitScope.SpentKeyIndex]!, Money.ToNanos(used));
            }
        }
    }

    private async Task ReturnWhenEndedAsync(ScopeSet set, LeaseSlot slot, Lease lease)
    {
        var wait = lease.EndsAtTick - Environment.TickCount64;
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(wait));
        }

        Interlocked.CompareExchange(ref slot.Current, null, lease);
        Interlocked.CompareExchange(ref slot.Next, null, lease);
        await ReturnLeaseAsync(set, slot, lease);
    }

    /// <summary>Gives back what a lease did not use (once; later calls do nothing).</summary>
    private async Task ReturnLeaseAsync(ScopeSet set, LeaseSlot? slot, Lease lease)
    {
        if (lease.Close() is not { } used)
        {
            return;
        }

        liveLeases.TryRemove(lease, out _);
        if (slot is not null && used < lease.Count / 2)
        {
            slot.Size = Math.Max(slot.Size / 2, LeaseSizeLeast); // mostly unused: ask for less next time
        }

        var arguments = ReturnArguments(set, lease.Id, lease.TokensEach, lease.CostEach, lease.Bucket, lease.Count, used, lifeMs: 0);
        try
        {
            await LimitScripts.LeaseReturn.EvaluateAsync(redis.GetDatabase(), set.Keys, arguments);
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            // Counted above the truth meanwhile, never below; given back when Redis answers again (a no-op if it ran).
            local.OnRedisFailed();
            local.Replay.QueueLeaseReturn(set.Keys, arguments);
            logger.LogWarning("Redis did not take back a lease's {Unused} unused admissions ({Error}); sent again when it answers",
                lease.Count - used, ex.GetType().Name);
        }
    }

    private static RedisValue[] ReturnArguments(ScopeSet set, string id, long tokens, long cost, RedisValue bucket, int granted, int used, long lifeMs)
    {
        var arguments = SettleArguments(set.Scopes, id, tokens, actualTokens: 0, bucket, cost: 0, cost);
        Array.Resize(ref arguments, arguments.Length + 3);
        arguments[^3] = granted;
        arguments[^2] = used;
        arguments[^1] = lifeMs;
        return arguments;
    }

    /// <summary>
    /// A grant Redis did not answer may still run when a slow Redis catches up: a return of whatever it granted is queued
    /// right behind it (as <see cref="ReleaseAbandoned"/> does for an admission), and sent again after the outage.
    /// </summary>
    private void ReturnAbandonedGrant(ScopeSet set, string id, long tokens, long cost, long lifeMs)
    {
        var arguments = ReturnArguments(set, id, tokens, cost, bucket: "0", granted: 0, used: 0, lifeMs);
        SendNowOrAfterOutage(LimitScripts.LeaseReturn, set.Keys, arguments, local.Replay.QueueLeaseReturn);
    }

    /// <summary>
    /// The scopes a request overran (their <see cref="LimitScope.Identity"/>): those with a budget when it cost more than its
    /// admission reserved, those with a tpm limit when it used more tokens than it counted (a provider ignoring
    /// <c>max_tokens</c>, a prompt the estimate under-counted); null when none.
    /// </summary>
    private static List<string>? OverranScopes(Admission admission, long actualTokens, long cost)
    {
        List<string>? overran = null;
        foreach (var scope in admission.Scopes)
        {
            if ((scope.Budget is not null && cost > admission.ReservedNanos) || (scope.Tpm is not null && actualTokens > admission.EstimatedTokens))
            {
                (overran ??= []).Add(scope.Identity);
            }
        }

        return overran;
    }

    /// <summary>
    /// After a request overran its admission and its settle was counted: the other replicas end their leases in those scopes
    /// too (<see cref="EndLeasesOf"/> ended this one's). A lease keeps admitting whatever the spend since its grant, so without
    /// this a client whose answers cost more than reserved would overshoot a budget or a minute by the leases' admissions —
    /// its own, its other models', another replica's — instead of the requests in flight (LeaseAttackTests,
    /// LeasedAdmissionTests). Overruns are rare (a lease's admissions are a quarter larger than the worst case of the request
    /// that asked); scopes overrun all the time are admitted through Redis, as without leases.
    /// </summary>
    private void AnnounceOverrun(List<string> scopes)
    {
        try
        {
            redis.GetSubscriber().Publish(LeaseEndsChannel, string.Join('\n', scopes), CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            // No lease is used while Redis is unreachable; one granted before ends at its own overrun or within LeaseLife.
            logger.LogDebug("Overrun not announced to the other replicas ({Error})", ex.GetType().Name);
        }
    }

    /// <summary>Another replica's overrun (or this one's, heard back): the leases counting in those scopes end here too.</summary>
    public void OnLeaseEnds(string message) => EndLeasesOf(message.Split('\n'));

    /// <summary>Until when (<see cref="Environment.TickCount64"/>) no lease is asked for or kept in a scope that was overrun.</summary>
    private readonly ConcurrentDictionary<string, long> quietScopes = new(StringComparer.Ordinal);

    /// <summary>
    /// Ends every lease of this replica that counts in one of <paramref name="scopes"/> (the unused admissions given back) and
    /// asks for none there during a second (or <c>LeaseLife</c>, when longer): their next requests are decided by Redis.
    /// </summary>
    private void EndLeasesOf(IReadOnlyCollection<string> scopes)
    {
        var now = Environment.TickCount64;
        var until = now + Math.Max((long)options.LeaseLife.TotalMilliseconds, 1000);
        if (quietScopes.Count > 10_000)
        {
            foreach (var (scope, end) in quietScopes)
            {
                if (end <= now)
                {
                    quietScopes.TryRemove(scope, out _);
                }
            }
        }

        foreach (var scope in scopes)
        {
            quietScopes[scope] = until;
        }

        // A lease granted meanwhile is in liveLeases before it checks Quiet: ended here or by itself (GrantLeaseAsync).
        foreach (var (lease, set) in liveLeases)
        {
            if (!CountsIn(set, scopes))
            {
                continue;
            }

            if (set.Leases is { } slot)
            {
                Interlocked.CompareExchange(ref slot.Next, null, lease);
                Interlocked.CompareExchange(ref slot.Current, null, lease);
            }

            _ = ReturnLeaseAsync(set, set.Leases, lease);
        }
    }

    private static bool CountsIn(ScopeSet set, IReadOnlyCollection<string> scopes)
    {
        foreach (var scope in set.Scopes)
        {
            if (scopes.Contains(scope.Identity))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether every one of these scopes is quiet already (an overrun ended their leases less than a second ago): no lease was
    /// granted in them since, so there is nothing to end or announce again.
    /// </summary>
    private bool AllQuiet(List<string> scopes)
    {
        var now = Environment.TickCount64;
        foreach (var scope in scopes)
        {
            if (!quietScopes.TryGetValue(scope, out var until) || now >= until)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether one of the set's scopes was overrun within the last second (or <c>LeaseLife</c>): no lease for it.</summary>
    private bool Quiet(ScopeSet set)
    {
        if (quietScopes.IsEmpty)
        {
            return false;
        }

        var now = Environment.TickCount64;
        foreach (var scope in set.Scopes)
        {
            if (quietScopes.TryGetValue(scope.Identity, out var until) && now < until)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Takes the slot's leases (the next one, then the one in use) and gives them back: whether there was any.</summary>
    private async Task<bool> ReturnSlotLeasesAsync(ScopeSet set, LeaseSlot slot)
    {
        var returned = false;
        foreach (var lease in new[] { Interlocked.Exchange(ref slot.Next, null), Interlocked.Exchange(ref slot.Current, null) })
        {
            if (lease is not null)
            {
                returned = true;
                await ReturnLeaseAsync(set, slot, lease);
            }
        }

        return returned;
    }

    /// <summary>Gives back every lease (the gateway is stopping) and grants no more.</summary>
    public async Task ReturnLeasesAsync()
    {
        leasesStopped = true;
        await Task.WhenAll(liveLeases.Select(live => ReturnLeaseAsync(live.Value, null, live.Key)));
    }

    /// <summary>
    /// A refusal in a scope where a lease is still out (<c>admit_leased</c>): this replica's own leases of the key are given
    /// back at once and the request is decided again; when none was its own, it is decided again when the others end. So
    /// a lease's unused admissions never refuse a request.
    /// </summary>
    private async Task WaitForLeasesAsync(ScopeSet set, long waitMs, CancellationToken ct)
    {
        if (set.Leases is not { } slot || !await ReturnSlotLeasesAsync(set, slot))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(waitMs + 5, 1, LeaseLifeMostMs + 50)), ct);
        }
    }
}
