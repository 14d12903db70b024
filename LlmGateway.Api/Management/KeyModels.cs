using System.Text.Json;

namespace LlmGateway.Api.Management;

/// <summary>LiteLLM's <c>/key/generate</c> and <c>/key/update</c> body; on update a field left out is kept, a limit sent as null removed.</summary>
public sealed record KeyRequest : ILimitsUpdate
{
    /// <summary>The fields this body sent as null: on update, a limit sent as null is removed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public HashSet<string> SentNull { get; } = [];

    /// <summary>On update: the key (raw secret or its token).</summary>
    public string? Key { get; init; }
    public string? KeyAlias { get; init; }
    public string? TeamId { get; init; }
    public string? UserId { get; init; }
    public List<string>? Models { get; init; }
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }
    /// <summary>Lifetime, e.g. "30d"; the key expires that long after this call.</summary>
    public string? Duration { get; init; }
    public JsonElement? Metadata { get; init; }
    public List<string>? Tags { get; init; }
    public bool? Blocked { get; init; }
    public Dictionary<string, decimal>? ModelMaxBudget { get; init; }
    public Dictionary<string, long>? ModelRpmLimit { get; init; }
    public Dictionary<string, long>? ModelTpmLimit { get; init; }
    public decimal? TempBudgetIncrease { get; init; }
    public DateTimeOffset? TempBudgetExpiry { get; init; }
    /// <summary>A budget object whose limits apply where the key sets none; "" clears it.</summary>
    public string? BudgetId { get; init; }
    /// <summary>More budget windows, each enforced at once (e.g. $10 a day and $100 a month).</summary>
    public List<Keys.BudgetWindowLimit>? BudgetLimits { get; init; }
}

public sealed record KeyDeleteRequest(List<string>? Keys, List<string>? KeyAliases);

public sealed record KeyBlockRequest(string? Key);

public sealed record KeyRegenerateRequest(string? GracePeriod);

/// <summary>A key as admins see it: never the secret, only its token (hash id) and a prefix.</summary>
public sealed record KeyInfo
{
    public required string Token { get; init; }
    public required string KeyName { get; init; }
    public string? KeyAlias { get; init; }
    public string? TeamId { get; init; }
    public string? UserId { get; init; }
    public IReadOnlyList<string> Models { get; init; } = [];
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public DateTimeOffset? BudgetResetAt { get; init; }
    public decimal Spend { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }
    public DateTimeOffset? Expires { get; init; }
    public JsonElement Metadata { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public bool Blocked { get; init; }
    public JsonElement ModelMaxBudget { get; init; }
    public JsonElement ModelRpmLimit { get; init; }
    public JsonElement ModelTpmLimit { get; init; }
    public decimal? TempBudgetIncrease { get; init; }
    public DateTimeOffset? TempBudgetExpiry { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }
    public string? BudgetId { get; init; }
    public IReadOnlyList<Keys.BudgetWindowLimit> BudgetLimits { get; init; } = [];
}

/// <summary>What <c>/key/generate</c> and <c>/key/{key}/regenerate</c> return: the only time the secret is shown.</summary>
public sealed record GeneratedKey
{
    public required string Key { get; init; }
    public required string Token { get; init; }
    public required string KeyName { get; init; }
    public string? KeyAlias { get; init; }
    public string? TeamId { get; init; }
    public DateTimeOffset? Expires { get; init; }
    public required KeyInfo Info { get; init; }
}

public sealed record KeyInfoResponse(string Key, KeyInfo Info);

public sealed record KeyListResponse(IReadOnlyList<object> Keys, int TotalCount, int CurrentPage, int TotalPages);
