using System.Text.Json;

namespace LlmGateway.Admin.Services;

/// <summary>A virtual key as the list and info endpoints show it: never the raw secret.</summary>
public sealed record VirtualKey
{
    /// <summary>The key's hash id.</summary>
    public string? Token { get; init; }
    public string? KeyAlias { get; init; }
    /// <summary>The displayable prefix, e.g. <c>sk-…abcd</c>.</summary>
    public string? KeyName { get; init; }
    public string? TeamId { get; init; }
    public double Spend { get; init; }
    public double? MaxBudget { get; init; }
    public double? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public DateTimeOffset? Expires { get; init; }
    public List<string>? Models { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public long? MaxParallelRequests { get; init; }
    public bool Blocked { get; init; }
    public DateTimeOffset? LastUsedAt { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public Dictionary<string, JsonElement>? Metadata { get; init; }
    public List<string>? Tags { get; init; }

    public string Id => Token ?? "";
}

/// <summary>The body of <c>/key/generate</c> and <c>/key/update</c>; unset fields are not sent.</summary>
public sealed record KeyRequest
{
    /// <summary>For <c>/key/update</c>: the key or its hash.</summary>
    public string? Key { get; init; }
    public string? KeyAlias { get; init; }
    public string? TeamId { get; init; }
    public List<string>? Models { get; init; }
    public double? MaxBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public double? SoftBudget { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public long? MaxParallelRequests { get; init; }
    /// <summary>Lifetime such as <c>30d</c>; the Api turns it into <c>expires</c>.</summary>
    public string? Duration { get; init; }
    public Dictionary<string, string>? Metadata { get; init; }
    public List<string>? Tags { get; init; }
    public bool? Blocked { get; init; }
}

/// <summary>What <c>/key/generate</c> and <c>/key/{key}/regenerate</c> return: the raw key, once.</summary>
public sealed record GeneratedKey
{
    public string? Key { get; init; }
    public string? Token { get; init; }
    public string? KeyName { get; init; }
    public string? KeyAlias { get; init; }
    public string? TeamId { get; init; }
    public DateTimeOffset? Expires { get; init; }
}

public sealed record KeyList
{
    public List<VirtualKey> Keys { get; init; } = [];
    public int TotalCount { get; init; }
    public int CurrentPage { get; init; }
    public int TotalPages { get; init; }
}
