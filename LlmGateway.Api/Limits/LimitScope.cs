namespace LlmGateway.Api.Limits;

/// <summary>
/// One scope a request is counted against: a key, its team, or a key's per-model limits. Its Redis keys share the
/// hash tag of the team (or of the key without a team), so one script touches one cluster slot.
/// </summary>
public sealed record LimitScope(string Kind, string Id, string DisplayName, string HashTag)
{
    public long? Rpm { get; init; }
    public long? Tpm { get; init; }
    public int? Parallel { get; init; }
    public decimal? Budget { get; init; }
    public BudgetWindow Window { get; init; }
    /// <summary>Column and value that select this scope's rows in the spend ledger, for re-seeding.</summary>
    public string? LedgerKeyHash { get; init; }
    public string? LedgerTeamId { get; init; }
    public string? LedgerUserId { get; init; }
    public string? LedgerOrganizationId { get; init; }
    public string? LedgerEndUser { get; init; }
    /// <summary>How long the counters live after the scope was last idle, when shorter than the window (unknown end users).</summary>
    public TimeSpan? CounterLifetime { get; init; }
    public string? LedgerTag { get; init; }

    /// <summary>The scope whatever its window: its Redis keys' common part after the prefix (e.g. <c>{t:team-1}:team:team-1</c>).</summary>
    public string Identity => $"{{{HashTag}}}:{Kind}:{Id}";

    private string Prefix => RedisKeys.Prefix + Identity;

    /// <summary>The hash tag a key's counters share: its team's, or its own without a team.</summary>
    public static string TagFor(string? teamId, string keyToken) => teamId is { } team ? "t:" + team : "k:" + keyToken;

    /// <summary>A team's scope for the current window; the one definition the limits, the management API and the alerts share.</summary>
    public static LimitScope ForTeam(string teamId, string displayName, string? budgetDuration, DateTimeOffset createdAt, DateTimeOffset now) =>
        new("team", teamId, displayName, "t:" + teamId)
        {
            Window = BudgetWindow.For(budgetDuration, createdAt, now),
            LedgerTeamId = teamId,
        };

    /// <summary>A key's scope for the current window.</summary>
    public static LimitScope ForKey(string token, string? teamId, string displayName, string? budgetDuration, DateTimeOffset createdAt, DateTimeOffset now) =>
        new("key", token, displayName, TagFor(teamId, token))
        {
            Window = BudgetWindow.For(budgetDuration, createdAt, now),
            LedgerKeyHash = token,
        };

    /// <summary>A key's per-model limits (<c>model_rpm_limit</c>, <c>model_tpm_limit</c>) on <paramref name="model"/>: the key's hash tag.</summary>
    public static LimitScope ForKeyModel(string token, string? teamId, string keyDisplayName, string model, DateTimeOffset now) =>
        new("key-model", $"{token}:{model}", $"key '{keyDisplayName}' on model '{model}'", TagFor(teamId, token))
        {
            Window = BudgetWindow.For(null, default, now),
        };

    /// <summary>
    /// An internal user's scope, shared by every key the user owns whatever their team: its own hash tag, so on a Redis
    /// Cluster a key with a user touches two slots (docs/governance.md); on one Redis primary it is one script as always.
    /// </summary>
    public static LimitScope ForUser(string userId, string displayName, string? budgetDuration, DateTimeOffset createdAt, DateTimeOffset now) =>
        new("user", userId, displayName, "u:" + userId)
        {
            Window = BudgetWindow.For(budgetDuration, createdAt, now),
            LedgerUserId = userId,
        };

    /// <summary>
    /// A team member's scope (<c>max_budget_in_team</c>): the spend of the user's keys in that team. It shares the team's
    /// hash tag, so it adds no cluster slot to a team key's script.
    /// </summary>
    public static LimitScope ForTeamMember(string teamId, string userId, string displayName, DateTimeOffset now) =>
        new("member", teamId + ":" + userId, displayName, "t:" + teamId)
        {
            Window = BudgetWindow.For(null, default, now),
            LedgerTeamId = teamId,
            LedgerUserId = userId,
        };

    /// <summary>
    /// An organization's scope, shared by every key of every team in it: its own hash tag, so on a Redis Cluster a team key in
    /// an organization touches two slots, as a key with a user does (docs/governance.md).
    /// </summary>
    public static LimitScope ForOrganization(string organizationId, string displayName, string? budgetDuration, DateTimeOffset createdAt, DateTimeOffset now) =>
        new("org", organizationId, displayName, "o:" + organizationId)
        {
            Window = BudgetWindow.For(budgetDuration, createdAt, now),
            LedgerOrganizationId = organizationId,
        };

    /// <summary>
    /// An end customer's scope (the request's <c>user</c> or <c>x-litellm-end-user-id</c>): its own hash tag, like a user's,
    /// and its ledger rows are those with this <c>end_user</c>.
    /// </summary>
    public static LimitScope ForCustomer(string endUserId, string? budgetDuration, DateTimeOffset createdAt, DateTimeOffset now) =>
        new("customer", endUserId, $"customer '{endUserId}'", "c:" + endUserId)
        {
            Window = BudgetWindow.For(budgetDuration, createdAt, now),
            LedgerEndUser = endUserId,
        };

    /// <summary>
    /// A tag's scope, shared by every request carrying the tag whatever its key or team: its own hash tag, so on a Redis
    /// Cluster a tagged request touches one more slot, as a user's does (docs/governance.md).
    /// </summary>
    public static LimitScope ForTag(string tag, string? budgetDuration, DateTimeOffset createdAt, DateTimeOffset now) =>
        new("tag", tag, $"tag '{tag}'", "g:" + tag)
        {
            Window = BudgetWindow.For(budgetDuration, createdAt, now),
            LedgerTag = tag,
        };

    /// <summary>The distinct hash tags of these scopes, in order: the keys one script call touches, and so its batch.</summary>
    public static string SlotOf(IReadOnlyList<LimitScope> scopes)
    {
        var tags = new List<string>(2);
        foreach (var scope in scopes)
        {
            if (!tags.Contains(scope.HashTag))
            {
                tags.Add(scope.HashTag);
            }
        }

        tags.Sort(StringComparer.Ordinal);
        return string.Join('|', tags);
    }

    /// <summary>How many Redis keys a scope passes to the scripts.</summary>
    public const int KeyCount = 6;

    /// <summary>Where <see cref="SpentKey"/> is among a scope's <see cref="KeyCount"/> Redis keys.</summary>
    public const int SpentKeyIndex = 3;

    /// <summary>Writes the scope's <see cref="KeyCount"/> Redis keys, in the order the scripts expect, from <paramref name="at"/>.</summary>
    public void WriteRedisKeys(StackExchange.Redis.RedisKey[] keys, int at)
    {
        var prefix = Prefix;
        var window = Window.Id;
        keys[at] = prefix + ":rpm";
        keys[at + 1] = prefix + ":tpm";
        keys[at + 2] = prefix + ":par";
        keys[at + SpentKeyIndex] = $"{prefix}:spent:{window}";
        keys[at + 4] = $"{prefix}:reserved:{window}";
        keys[at + 5] = $"{prefix}:holds:{window}";
    }

    /// <summary>The Redis keys of these scopes, for one script call.</summary>
    public static StackExchange.Redis.RedisKey[] RedisKeysOf(IReadOnlyList<LimitScope> scopes)
    {
        var keys = new StackExchange.Redis.RedisKey[scopes.Count * KeyCount];
        for (var i = 0; i < scopes.Count; i++)
        {
            scopes[i].WriteRedisKeys(keys, i * KeyCount);
        }

        return keys;
    }

    public string SpentKey => $"{Prefix}:spent:{Window.Id}";

    /// <summary>Marks a request's cost as counted after an outage (<c>replay.lua</c>), so it is counted once.</summary>
    public string ReplayMarkerKey(string requestId) => $"{Prefix}:replayed:{requestId}";

    /// <summary>How long a window's counters live: to the reset, plus a day (forever-windows: 400 days, renewed on use).</summary>
    public long CounterTtlMs(DateTimeOffset now) =>
        CounterLifetime is { } lifetime && (Window.ResetAt == DateTimeOffset.MaxValue || now + lifetime < Window.ResetAt)
            ? (long)Math.Max(60_000, lifetime.TotalMilliseconds)
            : Window.ResetAt == DateTimeOffset.MaxValue
            ? (long)TimeSpan.FromDays(400).TotalMilliseconds
            : (long)Math.Max(60_000, (Window.ResetAt - now + TimeSpan.FromDays(1)).TotalMilliseconds);
}
