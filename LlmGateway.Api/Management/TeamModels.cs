using System.Text.Json;

namespace LlmGateway.Api.Management;

/// <summary>LiteLLM's <c>/team/new</c> and <c>/team/update</c> body; on update a field left out is kept, a limit sent as null removed.</summary>
public sealed record TeamRequest : ILimitsUpdate
{
    /// <summary>The fields this body sent as null: on update, a limit sent as null is removed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public HashSet<string> SentNull { get; } = [];

    public string? TeamId { get; init; }
    public string? TeamAlias { get; init; }
    public List<string>? Models { get; init; }
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }
    public JsonElement? Metadata { get; init; }
    public List<string>? Tags { get; init; }
    public bool? Blocked { get; init; }
    public JsonElement? MembersWithRoles { get; init; }
    public string? OrganizationId { get; init; }
    /// <summary>The default <c>duration</c> of keys generated for the team's members (kept in the team's metadata, as LiteLLM does).</summary>
    public string? TeamMemberKeyDuration { get; init; }
}

public sealed record TeamDeleteRequest(List<string>? TeamIds);

/// <summary>LiteLLM's team object.</summary>
public sealed record TeamResponse
{
    public required string TeamId { get; init; }
    public string? TeamAlias { get; init; }
    public IReadOnlyList<string> Models { get; init; } = [];
    public decimal? MaxBudget { get; init; }
    public decimal? SoftBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public DateTimeOffset? BudgetResetAt { get; init; }
    public decimal Spend { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public int? MaxParallelRequests { get; init; }
    public JsonElement Metadata { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public bool Blocked { get; init; }
    public JsonElement MembersWithRoles { get; init; }
    public string? OrganizationId { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

public sealed record TeamInfoResponse(string TeamId, TeamResponse TeamInfo, IReadOnlyList<KeyInfo> Keys)
{
    public IReadOnlyList<TeamMembershipResponse> TeamMemberships { get; init; } = [];
}
