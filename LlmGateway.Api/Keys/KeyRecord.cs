namespace LlmGateway.Api.Keys;

/// <summary>The limits and budget of one scope (a key or its team) as the request path needs them.</summary>
public sealed record ScopeLimits
{
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    /// <summary>Rolling budget periods count from here (the creation time).</summary>
    public DateTimeOffset BudgetAnchor { get; init; }
    public decimal? TempBudgetIncrease { get; init; }
    public DateTimeOffset? TempBudgetExpiry { get; init; }

    /// <summary>The budget in force now, a temporary increase included while it lasts.</summary>
    public decimal? EffectiveBudget(DateTimeOffset now) => Effective(MaxBudget, TempBudgetIncrease, TempBudgetExpiry, now);

    public static decimal? Effective(decimal? maxBudget, decimal? tempIncrease, DateTimeOffset? tempExpiry, DateTimeOffset now) =>
        maxBudget is { } budget && tempIncrease is { } increase && (tempExpiry is null || tempExpiry > now)
            ? Math.Max(0m, budget + increase) // never below 0: the scripts read a negative budget as none
            : maxBudget;

    public bool HasAny => RpmLimit is not null || TpmLimit is not null || MaxParallelRequests is not null || MaxBudget is not null;
}

/// <summary>A snapshot of a virtual key and its team, cached in-process for the hot path.</summary>
public sealed record KeyRecord
{
    public required string Token { get; init; }
    public required string KeyName { get; init; }
    public string? KeyAlias { get; init; }
    public string? UserId { get; init; }
    public string? TeamId { get; init; }
    public string? TeamAlias { get; init; }
    public IReadOnlyList<string> Models { get; init; } = [];
    public IReadOnlyList<string> TeamModels { get; init; } = [];
    public bool Blocked { get; init; }
    public bool TeamBlocked { get; init; }
    public DateTimeOffset? Expires { get; init; }
    /// <summary>Set when the caller used the previous secret during a regeneration's grace period.</summary>
    public DateTimeOffset? GraceUntil { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Its team's tags: like the key's, added to every request's tags.</summary>
    public IReadOnlyList<string> TeamTags { get; init; } = [];
    /// <summary>The key's own limits and budget.</summary>
    public required ScopeLimits KeyLimits { get; init; }
    /// <summary>Its team's, when it has a team.</summary>
    public ScopeLimits? TeamLimits { get; init; }
    /// <summary>Its owner's (an internal user, <c>user_id</c>), when the user exists.</summary>
    public ScopeLimits? UserLimits { get; init; }
    public IReadOnlyList<string> UserModels { get; init; } = [];
    /// <summary>The owner's budget in the key's team (<c>max_budget_in_team</c>), when the owner is a member with one.</summary>
    public ScopeLimits? MemberLimits { get; init; }
    /// <summary>The organization of the key's team, its limits and models, when the team has one.</summary>
    public string? OrganizationId { get; init; }
    public string? OrganizationAlias { get; init; }
    public ScopeLimits? OrganizationLimits { get; init; }
    public IReadOnlyList<string> OrganizationModels { get; init; } = [];
    /// <summary><c>budget_limits</c>: more budget windows of the key, each one more scope.</summary>
    public IReadOnlyList<BudgetWindowLimit> BudgetWindows { get; init; } = [];
    public IReadOnlyDictionary<string, long> ModelRpmLimit { get; init; } = new Dictionary<string, long>();
    public IReadOnlyDictionary<string, long> ModelTpmLimit { get; init; } = new Dictionary<string, long>();
    /// <summary>LiteLLM's <c>allowed_cache_controls</c> (read from the key's metadata); empty allows every control.</summary>
    public IReadOnlyList<string> AllowedCacheControls { get; init; } = [];
    /// <summary>Metadata <c>log_content: true</c> on the key or its team: prompts and completions go to <c>content_logs</c>.</summary>
    public bool LogContent { get; init; }
    /// <summary>The team's <c>"cache": true|false</c> metadata: whether its answers are cached; null follows <c>litellm_settings.cache</c>.</summary>
    public bool? CacheEnabled { get; init; }

    /// <summary>Empty lists mean every model; a model must be allowed by the key, its team, its user and the team's organization.</summary>
    public bool MayUse(string model) => MayUse(model, []);

    /// <summary>As <see cref="MayUse(string)"/>, a list naming one of the model's access groups granting it too (<see cref="ModelGrant"/>).</summary>
    public bool MayUse(string model, IReadOnlyList<string> accessGroups) =>
        ModelGrant.Allows(Models, model, accessGroups) && ModelGrant.Allows(TeamModels, model, accessGroups)
        && ModelGrant.Allows(UserModels, model, accessGroups) && ModelGrant.Allows(OrganizationModels, model, accessGroups);

    /// <summary>The name a person recognises in messages: the alias, else the prefix.</summary>
    public string DisplayName => KeyAlias ?? KeyName;
}
