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
public sealed class LimitsGate(IConnectionMultiplexer redis, LedgerSeeder seeder, LocalLimits local, LimitsOptions options, ILogger<LimitsGate> logger)
{
    private static readonly TimeSpan ParallelLease = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ReservationLease = TimeSpan.FromHours(1);
    private static readonly RedisValue On = "1";
    private static readonly RedisValue Off = "0";

    public static IReadOnlyList<LimitScope> ScopesFor(KeyRecord key, string model, DateTimeOffset now)
    {
        var scopes = new List<LimitScope>(4);
        if (key.KeyLimits.HasAny)
        {
            scopes.Add(LimitScope.ForKey(key.Token, key.TeamId, $"key '{key.DisplayName}'", key.KeyLimits.BudgetDuration, key.KeyLimits.BudgetAnchor, now) with
            {
                Rpm = key.KeyLimits.RpmLimit,
                Tpm = key.KeyLimits.TpmLimit,
                Parallel = key.KeyLimits.MaxParallelRequests,
                Budget = key.KeyLimits.EffectiveBudget(now),
            });
        }

        if (key.TeamLimits is { HasAny: true } teamLimits)
        {
            scopes.Add(LimitScope.ForTeam(key.TeamId!, $"team '{key.TeamAlias ?? key.TeamId}'", teamLimits.BudgetDuration, teamLimits.BudgetAnchor, now) with
            {
                Rpm = teamLimits.RpmLimit,
                Tpm = teamLimits.TpmLimit,
                Parallel = teamLimits.MaxParallelRequests,
                Budget = teamLimits.EffectiveBudget(now),
            });
        }

        if (key.UserLimits is { HasAny: true } userLimits)
        {
            scopes.Add(LimitScope.ForUser(key.UserId!, $"user '{key.UserId}'", userLimits.BudgetDuration, userLimits.BudgetAnchor, now) with
            {
                Rpm = userLimits.RpmLimit,
                Tpm = userLimits.TpmLimit,
                Parallel = userLimits.MaxParallelRequests,
                Budget = userLimits.EffectiveBudget(now),
            });
        }

        var modelRpm = key.ModelRpmLimit.TryGetValue(model, out var r) ? r : (long?)null;
        var modelTpm = key.ModelTpmLimit.TryGetValue(model, out var t) ? t : (long?)null;
        if (modelRpm is not null || modelTpm is not null)
        {
            scopes.Add(new LimitScope("key-model", $"{key.Token}:{model}", $"key '{key.DisplayName}' on model '{model}'", LimitScope.TagFor(key.TeamId, key.Token))
            {
                Rpm = modelRpm,
                Tpm = modelTpm,
                Window = BudgetWindow.For(null, default, now),
            });
        }

        return scopes;
    }

    /// <summary>
    /// The scopes of a key on a model and their Redis keys, reused by every request until a budget window resets or a
    /// temporary budget increase ends (a changed key is a new <see cref="KeyRecord"/>, so its entries simply go away).
    /// </summary>
    private readonly ConditionalWeakTable<KeyRecord, ConcurrentDictionary<string, ScopeSet>> scopeSets = new();

    private sealed record ScopeSet(IReadOnlyList<LimitScope> Scopes, RedisKey[] Keys, DateTimeOffset ValidUntil);

    private ScopeSet ScopeSetFor(KeyRecord key, string model, DateTimeOffset now)
    {
        var byModel = scopeSets.GetValue(key, static _ => new ConcurrentDictionary<string, ScopeSet>(StringComparer.Ordinal));
        if (byModel.TryGetValue(model, out var cached) && now < cached.ValidUntil)
        {
            return cached;
        }

        var scopes = ScopesFor(key, model, now);
        var validUntil = DateTimeOffset.MaxValue;
        foreach (var scope in scopes)
        {
            validUntil = scope.Window.ResetAt < validUntil ? scope.Window.ResetAt : validUntil;
        }

        foreach (var expiry in new[] { key.KeyLimits.TempBudgetExpiry, key.TeamLimits?.TempBudgetExpiry })
        {
            if (expiry is { } end && end > now && end < validUntil)
            {
                validUntil = end;
            }
        }

        var set = new ScopeSet(scopes, LimitScope.RedisKeysOf(scopes), validUntil);
        byModel[model] = set;
        return set;
    }

    public async Task<Admission> AdmitAsync(KeyRecord key, string model, long estimatedTokens, decimal worstCaseCost, string requestId, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var set = ScopeSetFor(key, model, now);
        var scopes = set.Scopes;
        if (scopes.Count == 0)
        {
            return Admission.Unlimited;
        }

        var cost = Money.ToNanos(worstCaseCost);
        if (!local.RedisLikelyDown)
        {
            try
            {
                for (var attempt = 0; attempt < 3; attempt++)
                {
                    var result = (RedisResult[])(await LimitScripts.Admit.EvaluateAsync(redis.GetDatabase(),
                        set.Keys, AdmitArguments(scopes, requestId, estimatedTokens, cost, now)))!;
                    var code = (int)result[0];
                    if (code == -1)
                    {
                        await seeder.SeedAsync(scopes[(int)result[1]], now, ct);
                        continue;
                    }

                    await local.OnRedisAnsweredAsync();
                    return code == 1
                        ? RememberSpent(Admitted(scopes, set.Keys, result, estimatedTokens, cost))
                        : new Admission { Scopes = scopes, Rejection = Reject(scopes[(int)result[1]], result, now) };
                }

                throw new RedisException("budget counters could not be seeded");
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                local.OnRedisFailed();
                logger.LogWarning("Redis did not answer the admission ({Error}); using per-replica limits", ex.GetType().Name);
            }
        }

        return options.FailClosed ? Unavailable(scopes) : local.Admit(scopes, requestId, estimatedTokens, cost, now);
    }

    /// <summary>Keeps this replica's view of each budget current, so a Redis outage starts from what was spent.</summary>
    private Admission RememberSpent(Admission admission)
    {
        for (var i = 0; i < admission.Scopes.Count; i++)
        {
            if (admission.BudgetUsed[i] is { } used)
            {
                local.RememberSpent(admission.Scopes[i], Money.ToNanos(used));
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

    public async Task SettleAsync(Admission admission, string requestId, long actualTokens, decimal actualCost)
    {
        if (admission.Scopes.Count == 0)
        {
            return;
        }

        var cost = Money.ToNanos(actualCost);
        if (admission.Local)
        {
            local.Settle(admission, requestId, cost);
            return;
        }

        try
        {
            var scopes = admission.Scopes;
            var arguments = new RedisValue[7 + scopes.Count * 3];
            arguments[0] = requestId;
            arguments[1] = scopes.Count;
            arguments[2] = admission.EstimatedTokens;
            arguments[3] = actualTokens;
            arguments[4] = admission.Bucket;
            arguments[5] = cost;
            arguments[6] = admission.ReservedNanos;
            for (var i = 0; i < scopes.Count; i++)
            {
                arguments[7 + i * 3] = scopes[i].Tpm is null ? Off : On;
                arguments[8 + i * 3] = scopes[i].Parallel is null ? Off : On;
                arguments[9 + i * 3] = scopes[i].Budget is null ? Off : On;
            }

            await LimitScripts.Settle.EvaluateAsync(redis.GetDatabase(), admission.RedisKeys, arguments);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The reservation expires on its own; the ledger keeps the actual cost and re-seeds the counter if lost.
            local.OnRedisFailed();
            local.RememberUnsettled(admission.Scopes);
            logger.LogWarning("Redis did not answer the settle of {RequestId} ({Error})", requestId, ex.GetType().Name);
        }
    }

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

    private static Admission Admitted(IReadOnlyList<LimitScope> scopes, RedisKey[] keys, RedisResult[] result, long tokens, long cost)
    {
        var used = new decimal?[scopes.Count];
        for (var i = 0; i < scopes.Count; i++)
        {
            var total = (long)result[4 + i];
            used[i] = total < 0 ? null : Money.FromNanos(total);
        }

        var remainingRequests = (long)result[2];
        var remainingTokens = (long)result[3];
        return new Admission
        {
            Scopes = scopes,
            RedisKeys = keys,
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
