using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using LlmGateway.Api.Pricing;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// The per-replica fallback while Redis is unreachable (fail-open): request rates and parallelism with
/// System.Threading.RateLimiting, budgets against the last spend Redis reported plus what this replica spent since.
/// Scopes touched meanwhile have their Redis budget counters dropped when Redis answers again, so they are
/// re-seeded from the ledger, which has every request of the outage.
/// </summary>
public sealed class LocalLimits(IConnectionMultiplexer redis, ILogger<LocalLimits> logger)
{
    private static readonly TimeSpan RetryRedisAfter = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, RateLimiter> requestLimiters = new();
    private readonly ConcurrentDictionary<string, ConcurrencyLimiter> parallelLimiters = new();
    private readonly ConcurrentDictionary<string, RateLimitLease> leases = new();
    private readonly ConcurrentDictionary<string, long> spentSinceOutage = new();
    private readonly ConcurrentDictionary<string, long> lastKnownSpent = new();
    private readonly ConcurrentDictionary<string, byte> touched = new();
    private long redisFailedAtTicks;

    /// <summary>True shortly after a failure: requests skip Redis instead of waiting on it.</summary>
    public bool RedisLikelyDown => Volatile.Read(ref redisFailedAtTicks) is var at and > 0
        && DateTime.UtcNow.Ticks - at < RetryRedisAfter.Ticks;

    public void OnRedisFailed() => Volatile.Write(ref redisFailedAtTicks, DateTime.UtcNow.Ticks);

    public void RememberUnsettled(IEnumerable<LimitScope> scopes)
    {
        foreach (var scope in scopes.Where(s => s.Budget is not null))
        {
            touched[scope.SpentKey] = 0;
        }
    }

    /// <summary>Called after Redis answered: forget local state and drop counters that missed outage spend.</summary>
    public async Task OnRedisAnsweredAsync()
    {
        if (Interlocked.Exchange(ref redisFailedAtTicks, 0) == 0 && touched.IsEmpty)
        {
            return;
        }

        var keys = touched.Keys.ToArray();
        if (keys.Length > 0)
        {
            try
            {
                await redis.GetDatabase().KeyDeleteAsync([.. keys.Select(k => (RedisKey)k)]);
                foreach (var key in keys)
                {
                    touched.TryRemove(key, out _);
                }

                logger.LogInformation("Redis is back: {Count} budget counters will be re-seeded from the ledger", keys.Length);
            }
            catch (Exception ex) when (RedisFailures.IsTransient(ex))
            {
                return;
            }
        }

        spentSinceOutage.Clear();
    }

    public Admission Admit(IReadOnlyList<LimitScope> scopes, string requestId, long tokens, long cost, DateTimeOffset now)
    {
        var acquired = new List<RateLimitLease>();
        foreach (var scope in scopes)
        {
            if (scope.Rpm is { } rpm)
            {
                var limiter = requestLimiters.GetOrAdd(scope.Kind + scope.Id, _ => new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = (int)Math.Min(rpm, int.MaxValue),
                    Window = TimeSpan.FromMinutes(1),
                    SegmentsPerWindow = 6,
                    QueueLimit = 0,
                }));
                var lease = limiter.AttemptAcquire();
                if (!lease.IsAcquired)
                {
                    Release(acquired);
                    return Rejected(scopes, LimitErrors.RateLimited(scope, "requests", rpm, TimeSpan.FromSeconds(10)));
                }
            }

            if (scope.Parallel is { } parallel)
            {
                var limiter = parallelLimiters.GetOrAdd(scope.Kind + scope.Id, _ => new ConcurrencyLimiter(new ConcurrencyLimiterOptions
                {
                    PermitLimit = parallel,
                    QueueLimit = 0,
                }));
                var lease = limiter.AttemptAcquire();
                if (!lease.IsAcquired)
                {
                    Release(acquired);
                    return Rejected(scopes, LimitErrors.RateLimited(scope, "max_parallel_requests", parallel, TimeSpan.FromSeconds(1)));
                }

                acquired.Add(lease);
            }

            if (scope.Budget is { } budget)
            {
                var spent = lastKnownSpent.GetValueOrDefault(scope.SpentKey) + spentSinceOutage.GetValueOrDefault(scope.SpentKey);
                if (spent + cost > Money.ToNanos(budget))
                {
                    Release(acquired);
                    return Rejected(scopes, LimitErrors.BudgetExceeded(scope, Money.FromNanos(spent), 0, now));
                }

                touched[scope.SpentKey] = 0;
            }
        }

        if (acquired.Count > 0)
        {
            leases[requestId] = new CompositeLease(acquired);
        }

        return new Admission { Scopes = scopes, Local = true, EstimatedTokens = tokens, ReservedNanos = cost };
    }

    public void Settle(Admission admission, string requestId, long cost)
    {
        if (leases.TryRemove(requestId, out var lease))
        {
            lease.Dispose();
        }

        foreach (var scope in admission.Scopes.Where(s => s.Budget is not null))
        {
            spentSinceOutage.AddOrUpdate(scope.SpentKey, cost, (_, current) => current + cost);
        }
    }

    /// <summary>Remembers what Redis last said a scope had spent, for budget checks during an outage.</summary>
    public void RememberSpent(LimitScope scope, long spentNanos) => lastKnownSpent[scope.SpentKey] = spentNanos;

    private static Admission Rejected(IReadOnlyList<LimitScope> scopes, Contracts.GatewayError error) =>
        new() { Scopes = scopes, Local = true, Rejection = error };

    private static void Release(List<RateLimitLease> acquired)
    {
        foreach (var lease in acquired)
        {
            lease.Dispose();
        }
    }

    private sealed class CompositeLease(List<RateLimitLease> inner) : RateLimitLease
    {
        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            foreach (var lease in inner)
            {
                lease.Dispose();
            }
        }
    }
}
