using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LlmGateway.Api.Keys;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>The scopes a key's request is counted against, and their Redis keys, cached per key record and model.</summary>
public sealed partial class LimitsGate
{
    public static IReadOnlyList<LimitScope> ScopesFor(KeyRecord key, string model, DateTimeOffset now)
    {
        var scopes = new List<LimitScope>(4);
        if (key.KeyLimits.HasAny)
        {
            scopes.Add(Limited(LimitScope.ForKey(key.Token, key.TeamId, $"key '{key.DisplayName}'", key.KeyLimits.BudgetDuration, key.KeyLimits.BudgetAnchor, now), key.KeyLimits, now));
        }

        if (key.TeamLimits is { HasAny: true } teamLimits)
        {
            scopes.Add(Limited(LimitScope.ForTeam(key.TeamId!, $"team '{key.TeamAlias ?? key.TeamId}'", teamLimits.BudgetDuration, teamLimits.BudgetAnchor, now), teamLimits, now));
        }

        if (key.UserLimits is { HasAny: true } userLimits)
        {
            scopes.Add(Limited(LimitScope.ForUser(key.UserId!, $"user '{key.UserId}'", userLimits.BudgetDuration, userLimits.BudgetAnchor, now), userLimits, now));
        }

        if (key.MemberLimits is { MaxBudget: not null } memberLimits)
        {
            scopes.Add(LimitScope.ForTeamMember(key.TeamId!, key.UserId!, $"team member '{key.UserId}' in team '{key.TeamAlias ?? key.TeamId}'", now) with
            {
                Budget = memberLimits.MaxBudget,
            });
        }

        if (key.OrganizationLimits is { HasAny: true } orgLimits)
        {
            var org = LimitScope.ForOrganization(key.OrganizationId!, $"organization '{key.OrganizationAlias ?? key.OrganizationId}'", orgLimits.BudgetDuration, orgLimits.BudgetAnchor, now);
            scopes.Add(Limited(org, orgLimits, now));
        }

        AddBudgetWindows(key, scopes, now);
        var modelRpm = key.ModelRpmLimit.TryGetValue(model, out var r) ? r : (long?)null;
        var modelTpm = key.ModelTpmLimit.TryGetValue(model, out var t) ? t : (long?)null;
        if (modelRpm is not null || modelTpm is not null)
        {
            scopes.Add(LimitScope.ForKeyModel(key.Token, key.TeamId, key.DisplayName, model, now) with { Rpm = modelRpm, Tpm = modelTpm });
        }

        return scopes;
    }

    /// <summary>A scope with a holder's rpm, tpm, parallel limit and the budget in force now.</summary>
    private static LimitScope Limited(LimitScope scope, ScopeLimits limits, DateTimeOffset now) => scope with
    {
        Rpm = limits.RpmLimit,
        Tpm = limits.TpmLimit,
        Parallel = limits.MaxParallelRequests,
        Budget = limits.EffectiveBudget(now),
    };

    /// <summary>
    /// The scopes of a key on a model and their Redis keys, reused by every request until a budget window resets or a
    /// temporary budget increase ends (a changed key is a new <see cref="KeyRecord"/>, so its entries simply go away).
    /// </summary>
    private readonly ConditionalWeakTable<KeyRecord, ConcurrentDictionary<string, ScopeSet>> scopeSets = new();

    /// <summary>The request's own scopes (its tags') after the key's; not cached: they vary with each request's tags.</summary>
    private static ScopeSet WithRequestScopes(ScopeSet set, IReadOnlyList<LimitScope>? requestScopes)
    {
        if (requestScopes is not { Count: > 0 })
        {
            return set;
        }

        List<LimitScope> scopes = [.. set.Scopes, .. requestScopes];
        return new ScopeSet(scopes, LimitScope.RedisKeysOf(scopes), set.ValidUntil);
    }

    internal sealed record ScopeSet(IReadOnlyList<LimitScope> Scopes, RedisKey[] Keys, DateTimeOffset ValidUntil)
    {
        /// <summary>The scopes' hash tags: admissions and settles with the same ones are coalesced into one script call.</summary>
        public string Slot { get; } = LimitScope.SlotOf(Scopes);

        /// <summary>Whether its requests may be admitted on leases (no parallel limit), and its leases once asked for.</summary>
        public bool Leasable { get; } = LimitsGate.Leasable(Scopes);
        internal LeaseSlot? Leases;
    }

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
}
