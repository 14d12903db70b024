using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Pricing;

namespace LlmGateway.Api.Limits;

/// <summary>
/// The per-replica fallback while Redis is unreachable (fail-open), bounded: each replica uses only its share of every
/// rpm, tpm and parallel limit (System.Threading.RateLimiting) and of every budget's remaining headroom as Redis last
/// reported it, reserving the worst case of its requests in flight. What it settles meanwhile reaches the Redis counters
/// exactly once when Redis answers again (<see cref="OutageReplay"/>).
/// </summary>
public sealed class LocalLimits(OutageReplay replay, ReplicaCount replicas, LimitsOptions options)
{
    private static readonly TimeSpan RetryRedisAfter = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, RateLimiter> requestLimiters = new();
    private readonly ConcurrentDictionary<string, RateLimiter> tokenLimiters = new();
    private readonly ConcurrentDictionary<string, RateLimiter> parallelLimiters = new();
    private readonly ConcurrentDictionary<string, long> lastKnownUsed = new();
    private readonly ConcurrentDictionary<string, LocalHold> holds = new();
    private ConcurrentDictionary<string, OutageBudget> budgets = new();
    private long redisFailedAtTicks;
    private int budgetsInUse; // 1 once an outage allowance was handed out, until it is retired
    private readonly Lock outageGate = new(); // orders handing out an allowance against retiring them (local path only)

    /// <summary>True shortly after a failure: requests skip Redis instead of waiting on it.</summary>
    public bool RedisLikelyDown => Volatile.Read(ref redisFailedAtTicks) is var at and > 0
        && DateTime.UtcNow.Ticks - at < RetryRedisAfter.Ticks;

    public OutageReplay Replay => replay;

    /// <summary>This replica's share of limits and budgets during an outage.</summary>
    public double Share => options.OutageShare is { } share ? Math.Clamp(share, 0, 1) : 1.0 / replicas.Current;

    public void OnRedisFailed() => Volatile.Write(ref redisFailedAtTicks, DateTime.UtcNow.Ticks);

    /// <summary>
    /// Called after Redis answered: what was settled meanwhile is sent to be counted, and the outage's allowances end once
    /// Redis counts everything they covered (no local request in flight, nothing left to replay). Until then a new
    /// timeout continues the same allowances: a Redis that keeps timing out (or is kept slow on purpose) does not hand
    /// out a fresh share of every budget each time it answers once.
    /// </summary>
    public void OnRedisAnswered()
    {
        if (Volatile.Read(ref redisFailedAtTicks) != 0)
        {
            Interlocked.Exchange(ref redisFailedAtTicks, 0);
        }

        if (!replay.IsEmpty)
        {
            _ = replay.FlushAsync(); // one flusher at a time, never on the request's time
        }
        else if (Volatile.Read(ref budgetsInUse) != 0)
        {
            lock (outageGate)
            {
                if (budgetsInUse != 0 && holds.IsEmpty)
                {
                    budgetsInUse = 0;
                    budgets = new();
                }
            }
        }
    }

    /// <summary>Whether Redis (or the ledger) has told this replica what a budget scope has used.</summary>
    public bool Knows(LimitScope scope) => lastKnownUsed.ContainsKey(scope.SpentKey);

    /// <summary>Remembers spent plus reserved of a budget as Redis last reported it: where an outage starts from.</summary>
    public void RememberUsed(string spentKey, long usedNanos) => lastKnownUsed[spentKey] = usedNanos;

    public Admission Admit(IReadOnlyList<LimitScope> scopes, string requestId, long tokens, long cost, DateTimeOffset now)
    {
        var share = Share;
        var hold = new LocalHold(cost);
        holds[requestId] = hold; // before any allowance is used: the allowances are not retired under a request being admitted
        foreach (var scope in scopes)
        {
            if (AdmitScope(scope, hold, tokens, cost, share, now) is { } refused)
            {
                hold.Release(refund: true);
                holds.TryRemove(requestId, out _);
                return new Admission { Scopes = scopes, Local = true, Rejection = refused };
            }
        }

        return new Admission { Scopes = scopes, Local = true, EstimatedTokens = tokens, ReservedNanos = cost };
    }

    private GatewayError? AdmitScope(LimitScope scope, LocalHold hold, long tokens, long cost, double share, DateTimeOffset now)
    {
        if (scope.Rpm is { } rpm && !TryAcquire(requestLimiters, scope, Portion(rpm, share), 1, window: true, hold))
        {
            return LimitErrors.RateLimited(scope, "requests", rpm, TimeSpan.FromSeconds(10));
        }

        if (scope.Tpm is { } tpm && !TryAcquire(tokenLimiters, scope, Portion(tpm, share), tokens, window: true, hold))
        {
            return LimitErrors.RateLimited(scope, "tokens", tpm, TimeSpan.FromSeconds(10));
        }

        if (scope.Parallel is { } parallel && !TryAcquire(parallelLimiters, scope, Portion(parallel, share), 1, window: false, hold))
        {
            return LimitErrors.RateLimited(scope, "max_parallel_requests", parallel, TimeSpan.FromSeconds(1));
        }

        if (scope.Budget is not { } budget)
        {
            return null;
        }

        var known = lastKnownUsed.GetValueOrDefault(scope.SpentKey);
        OutageBudget outage;
        lock (outageGate)
        {
            budgetsInUse = 1;
            outage = budgets.GetOrAdd(scope.SpentKey, static (_, allowance) => new OutageBudget(allowance),
                (long)Math.Floor(Math.Max(0, Money.ToNanos(budget) - known) * share));
        }

        if (!outage.TryReserve(cost))
        {
            return LimitErrors.BudgetExceeded(scope, Money.FromNanos(known + outage.UsedNanos), 0, now);
        }

        hold.Budgets.Add((outage, scope));
        return null;
    }

    public void Settle(string requestId, long actualCost, DateTimeOffset now)
    {
        if (!holds.TryRemove(requestId, out var hold))
        {
            return;
        }

        hold.Release(refund: false);
        foreach (var (outage, scope) in hold.Budgets)
        {
            outage.Settle(hold.Reserved, actualCost);
            if (actualCost > 0)
            {
                replay.QueueSpend(scope, requestId, actualCost, now);
            }
        }
    }

    /// <summary>At least one of anything, so a small share never blocks a scope outright.</summary>
    private static long Portion(long limit, double share) => Math.Max(1, (long)Math.Floor(limit * share));

    private static bool TryAcquire(
        ConcurrentDictionary<string, RateLimiter> limiters, LimitScope scope, long limit, long permits, bool window, LocalHold hold)
    {
        if (permits > limit)
        {
            return false;
        }

        var permitLimit = (int)Math.Min(limit, int.MaxValue);
        var limiter = limiters.GetOrAdd($"{scope.Kind}:{scope.Id}:{permitLimit}", _ => window
            ? new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
            {
                PermitLimit = permitLimit, Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 6, QueueLimit = 0,
            })
            : new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = permitLimit, QueueLimit = 0 }));
        var lease = limiter.AttemptAcquire((int)permits);
        if (!lease.IsAcquired)
        {
            return false;
        }

        if (!window)
        {
            hold.Leases.Add(lease); // a parallel slot is given back at settle; a window's permits are not
        }

        return true;
    }

    /// <summary>What one locally admitted request holds until it settles.</summary>
    private sealed class LocalHold(long reserved)
    {
        public long Reserved => reserved;
        public List<RateLimitLease> Leases { get; } = [];
        public List<(OutageBudget Budget, LimitScope Scope)> Budgets { get; } = [];

        public void Release(bool refund)
        {
            foreach (var lease in Leases)
            {
                lease.Dispose();
            }

            if (refund)
            {
                foreach (var (budget, _) in Budgets)
                {
                    budget.Settle(reserved, 0);
                }
            }
        }
    }
}
