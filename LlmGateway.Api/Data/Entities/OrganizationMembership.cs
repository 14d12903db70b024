namespace LlmGateway.Api.Data.Entities;

/// <summary>An internal user's membership of an organization, with its role there (<c>org_admin</c>, <c>internal_user</c>…).</summary>
public sealed class OrganizationMembership
{
    public required string OrganizationId { get; set; }
    public required string UserId { get; set; }
    public required string UserRole { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
