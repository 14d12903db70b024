using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmGateway.Admin.Services;

/// <summary>A team as <c>/team/list</c>, <c>/team/new</c> and <c>/team/info</c> return it.</summary>
public sealed record Team
{
    public string TeamId { get; init; } = "";
    public string? TeamAlias { get; init; }
    public List<string>? Models { get; init; }
    public double Spend { get; init; }
    public double? MaxBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public DateTimeOffset? BudgetResetAt { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public long? MaxParallelRequests { get; init; }
    public Dictionary<string, JsonElement>? Metadata { get; init; }
    public List<string>? Tags { get; init; }
    public bool Blocked { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public List<TeamMember>? MembersWithRoles { get; init; }

    public string DisplayName => string.IsNullOrWhiteSpace(TeamAlias) ? TeamId : TeamAlias;
}

/// <summary>The body of <c>/team/new</c> and <c>/team/update</c>; unset fields are not sent, those in <see cref="Removed"/> as null.</summary>
public sealed record TeamRequest
{
    /// <summary>Limits to remove, as <c>"field": null</c> (<see cref="Components.Shared.LimitRemovals"/>).</summary>
    [JsonExtensionData]
    public Dictionary<string, System.Text.Json.JsonElement>? Removed { get; init; }

    public string? TeamId { get; init; }
    public string? TeamAlias { get; init; }
    public List<string>? Models { get; init; }
    public double? MaxBudget { get; init; }
    public string? BudgetDuration { get; init; }
    public long? RpmLimit { get; init; }
    public long? TpmLimit { get; init; }
    public long? MaxParallelRequests { get; init; }
    public Dictionary<string, string>? Metadata { get; init; }
    public List<string>? Tags { get; init; }
    public bool? Blocked { get; init; }
}

public sealed record TeamInfo
{
    public string TeamId { get; init; } = "";
    [JsonPropertyName("team_info")]
    public Team? Details { get; init; }
    public List<VirtualKey>? Keys { get; init; }
    public List<TeamMembership>? TeamMemberships { get; init; }
}

public sealed record GlobalSpend
{
    public double Spend { get; init; }
    public double? MaxBudget { get; init; }
}
