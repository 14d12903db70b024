using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Keys;
using LlmGateway.Api.Pricing;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// Rate limits and budgets in one Redis round trip: <c>admit.lua</c> checks every scope of the request and reserves
/// its worst-case cost atomically; <c>settle.lua</c> replaces the reservation with the actual cost. Exact across
/// replicas because Redis is the only counter. When Redis does not answer: per-replica limits (fail open, default)
/// or 503 (fail closed).
/// </summary>
public sealed partial class LimitsGate(
    IConnectionMultiplexer redis, ScriptBatcher batcher, LedgerSeeder seeder, LocalLimits local, LimitsOptions options, ILogger<LimitsGate> logger)
{
    private static readonly TimeSpan ParallelLease = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ReservationLease = TimeSpan.FromHours(1);
    private static readonly TimeSpan LedgerBound = TimeSpan.FromSeconds(5);
    /// <summary><c>admit.lua</c>'s <c>admit_lease_recheck</c>: the wait it says for a lease past its end whose return has not come.</summary>
    private const long LeaseRecheckMs = 20;
    /// <summary>How many such waits a refusal makes at most: its <c>admit_lease_grace</c> (a second).</summary>
    private const int LeaseRechecks = 40;
    private readonly ConcurrentDictionary<string, Task<decimal>> ledgerLookups = new();
    private static readonly RedisValue On = "1";
    private static readonly RedisValue Off = "0";

    public async Task<Admission> AdmitAsync(KeyRecord key, string model, long estimatedTokens, decimal worstCaseCost, string requestId, CancellationToken ct,
        LimitScope? endUser = null, IReadOnlyList<LimitScope>? requestScopes = null)
    {
        var now = DateTimeOffset.UtcNow;
        var set = WithRequestScopes(WithEndUser(ScopeSetFor(key, model, now), endUser), requestScopes);
        var scopes = set.Scopes;
        if (scopes.Count == 0)
        {
            return Admission.Unlimited;
        }

        var cost = Money.ToNanos(worstCaseCost);
        var leasable = options.Leases && set.Leasable && endUser is null && requestScopes is not { Count: > 0 };
        if (leasable && !local.RedisLikelyDown && AdmitOnLease(set, estimatedTokens, cost) is { } leased)
        {
            return leased;
        }

        if (!local.RedisLikelyDown)
        {
            try
            {
                var (waits, rechecks) = (0, 0);
                // Each -1 names one scope whose budget counter is missing: a new key, team and user may each need a seed.
                // Sent alone or with the concurrent admissions of the same slot (one script call, members in order).
                for (var attempt = 0; attempt <= scopes.Count + 1; attempt++)
                {
                    var sentAt = System.Diagnostics.Stopwatch.GetTimestamp();
                    var result = (RedisResult[])(await batcher.AdmitAsync(set.Slot, set.Keys, AdmitArguments(scopes, requestId, estimatedTokens, cost, now), ct))!;
                    var code = (int)result[0];
                    if (code == -1)
                    {
                        await seeder.SeedAsync(scopes[(int)result[1]], now, ct);
                        continue;
                    }

                    local.OnRedisAnswered();
                    // A lease still out in the refusing scope: decided again when it ends (at most three times), or, once it
                    // ended and its return is late (admit.lua's recheck), again every LeaseRecheckMs for up to a second.
                    if (code == 0 && result.Length > 6 && (long)result[6] is var leaseWait and > 0
                        && (leaseWait <= LeaseRecheckMs ? rechecks++ < LeaseRechecks : waits++ < 3))
                    {
                        await WaitForLeasesAsync(set, leaseWait, ct);
                        attempt--;
                        continue;
                    }

                    if (code != 1)
                    {
                        RememberFullWindow(scopes[(int)result[1]], result, sentAt);
                        return new Admission { Scopes = scopes, Rejection = Reject(scopes[(int)result[1]], result, now) };
                    }

                    if (leasable)
                    {
                        LeaseAfterAdmission(set, estimatedTokens, cost);
                    }

                    return AdmittedUnlessCancelled(RememberSpent(Admitted(scopes, set, result, estimatedTokens, cost)), requestId, ct);
                }

                throw new RedisException("budget counters could not be seeded");
            }
            catch (Exception ex) when (RedisFailures.IsTransient(ex) && !ct.IsCancellationRequested)
            {
                local.OnRedisFailed();
                ReleaseAbandoned(set, requestId, cost);
                logger.LogWarning("Redis did not answer the admission ({Error}); using per-replica limits", ex.GetType().Name);
            }
        }

        return options.FailClosed ? Unavailable(scopes) : await AdmitLocallyAsync(scopes, requestId, estimatedTokens, cost, now, ct);
    }

    /// <summary>
    /// The bounded fail-open admission. Never from $0: a budget this replica has no count of yet is read from the ledger
    /// (bounded wait); when the ledger does not answer either, the request is refused like a fail-closed one.
    /// </summary>
    private async Task<Admission> AdmitLocallyAsync(IReadOnlyList<LimitScope> scopes, string requestId, long tokens, long cost, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var scope in scopes)
        {
            if (scope.Budget is null || local.Knows(scope))
            {
                continue;
            }

            try
            {
                var spent = await LedgerLookup(scope).WaitAsync(LedgerBound, ct);
                local.RememberUsed(scope.SpentKey, Money.ToNanos(spent));
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning("Neither Redis nor the ledger gave the spend of the budget of {Scope} ({Error}); refusing", scope.DisplayName, ex.GetType().Name);
                return Unavailable(scopes);
            }
        }

        return local.Admit(scopes, requestId, tokens, cost, now);
    }

    /// <summary>One ledger query per unknown budget however many requests wait on it (an outage is no time for a stampede).</summary>
    private Task<decimal> LedgerLookup(LimitScope scope)
    {
        var lookup = ledgerLookups.GetOrAdd(scope.SpentKey, key =>
        {
            var query = seeder.LedgerSumAsync(scope, CancellationToken.None);
            _ = query.ContinueWith(done => ledgerLookups.TryRemove(new KeyValuePair<string, Task<decimal>>(key, done)), TaskScheduler.Default);
            return query;
        });
        if (lookup.IsFaulted || lookup.IsCanceled)
        {
            ledgerLookups.TryRemove(new KeyValuePair<string, Task<decimal>>(scope.SpentKey, lookup)); // the next request asks again
        }

        return lookup;
    }

    /// <summary>Keeps this replica's view of each budget current, so a Redis outage starts from what was spent.</summary>
    private Admission RememberSpent(Admission admission)
    {
        for (var i = 0; i < admission.Scopes.Count; i++)
        {
            if (admission.BudgetUsed[i] is { } used)
            {
                // The scope's spent key, from the cached key array (building it again cost two strings per scope per request).
                local.RememberUsed((string)admission.RedisKeys[i * LimitScope.KeyCount + LimitScope.SpentKeyIndex]!, Money.ToNanos(used));
            }
        }

        return admission;
    }

    /// <summary>The 503 of a fail-closed gateway while Redis is unreachable.</summary>
    private static Admission Unavailable(IReadOnlyList<LimitScope> scopes) => new()
    {
        Scopes = scopes,
        Rejection = new GatewayError(StatusCodes.Status503ServiceUnavailable, "service_unavailable",
            "Limits and budgets cannot be checked right now (Redis is unreachable) and this gateway is set to fail closed; retry shortly.",
            null, "limits_unavailable") { RetryAfterSeconds = 1 },
    };

    private static RedisValue[] AdmitArguments(IReadOnlyList<LimitScope> scopes, string requestId, long tokens, long cost, DateTimeOffset now)
    {
        var values = new RedisValue[6 + scopes.Count * 5];
        values[0] = requestId;
        values[1] = scopes.Count;
        values[2] = tokens;
        values[3] = cost;
        values[4] = (long)ParallelLease.TotalMilliseconds;
        values[5] = (long)ReservationLease.TotalMilliseconds;
        for (var i = 0; i < scopes.Count; i++)
        {
            var scope = scopes[i];
            var at = 6 + i * 5;
            values[at] = scope.Rpm ?? -1;
            values[at + 1] = scope.Tpm ?? -1;
            values[at + 2] = scope.Parallel ?? -1;
            values[at + 3] = scope.Budget is { } budget ? Money.ToNanos(budget) : -1;
            values[at + 4] = scope.CounterTtlMs(now);
        }

        return values;
    }

    private static Admission Admitted(IReadOnlyList<LimitScope> scopes, ScopeSet set, RedisResult[] result, long tokens, long cost)
    {
        var used = BudgetUsedOf(scopes.Count, result);
        var remainingRequests = (long)result[2];
        var remainingTokens = (long)result[3];
        return new Admission
        {
            Scopes = scopes,
            RedisKeys = set.Keys,
            Slot = set.Slot,
            Bucket = result[1].ToString(),
            EstimatedTokens = tokens,
            ReservedNanos = cost,
            RemainingRequests = remainingRequests < 0 ? null : remainingRequests,
            RemainingTokens = remainingTokens < 0 ? null : Math.Max(0, remainingTokens),
            BudgetUsed = used,
        };
    }

    private static GatewayError Reject(LimitScope scope, RedisResult[] result, DateTimeOffset now)
    {
        var kind = result[2].ToString();
        var limit = (long)result[3];
        if (kind == "budget")
        {
            var spent = Money.FromNanos((long)result[4]);
            var reserved = Money.FromNanos((long)result[5]);
            return LimitErrors.BudgetExceeded(scope, spent, reserved, now);
        }

        var retry = TimeSpan.FromMilliseconds((long)result[5]);
        return LimitErrors.RateLimited(scope, kind, limit, retry);
    }
}
