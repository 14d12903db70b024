using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Management;

/// <summary>
/// Team and organization members as LiteLLM keeps them: the role in the team's <c>members_with_roles</c>, the budget in a
/// <see cref="TeamMembership"/> row, the team in the user's <c>teams</c>; a member who is not yet an internal user becomes one.
/// </summary>
public static class TeamMembers
{
    public static readonly IReadOnlyList<string> TeamRoles = ["admin", "user"];
    public static readonly IReadOnlyList<string> OrganizationRoles = ["org_admin", "internal_user", "internal_user_viewer", "proxy_admin", "proxy_admin_viewer"];

    /// <summary>LiteLLM's <c>member</c> field: one member or a list, each with a user_id or user_email and a known role.</summary>
    public static (List<Member> Members, GatewayError? Error) Parse(JsonElement? value, string param, IReadOnlyList<string> roles, string defaultRole)
    {
        var members = new List<Member>();
        if (value is not { ValueKind: JsonValueKind.Object or JsonValueKind.Array } element)
        {
            return (members, GatewayError.InvalidRequest($"'{param}' must be a member object or a list of them.", param, "invalid_value"));
        }

        foreach (var item in element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().ToList() : [element])
        {
            var member = item.ValueKind == JsonValueKind.Object ? ReadMember(item) : null;
            if (member is null || (string.IsNullOrWhiteSpace(member.UserId) && string.IsNullOrWhiteSpace(member.UserEmail)))
            {
                return (members, GatewayError.InvalidRequest("Either user_id or user_email needs to be passed in for each member.", param, "invalid_value"));
            }

            var role = member.Role ?? defaultRole;
            if (!roles.Contains(role))
            {
                return (members, GatewayError.InvalidRequest($"A member's role must be one of {string.Join(", ", roles)}; got '{role}'.", param + ".role", "invalid_value"));
            }

            members.Add(member with { Role = role });
        }

        return (members, null);
    }

    private static Member? ReadMember(JsonElement item)
    {
        try
        {
            return item.Deserialize<Member>(ManagementJson.Options);
        }
        catch (JsonException)
        {
            return null; // a field of the wrong type: refused like a member without an id
        }
    }

    /// <summary>The internal user a member names (by id, else by email), created as LiteLLM does when there is none.</summary>
    public static async Task<InternalUser> EnsureUserAsync(GatewayDbContext db, Member member, DateTimeOffset now, CancellationToken ct)
    {
        var user = member.UserId is { } id
            ? db.InternalUsers.Local.FirstOrDefault(u => u.UserId == id) ?? await db.InternalUsers.FirstOrDefaultAsync(u => u.UserId == id, ct)
            : await db.InternalUsers.FirstOrDefaultAsync(u => u.UserEmail == member.UserEmail, ct);
        if (user is null)
        {
            user = new InternalUser
            {
                UserId = member.UserId ?? Guid.NewGuid().ToString(), UserEmail = member.UserEmail, UserRole = "internal_user", CreatedAt = now, UpdatedAt = now,
            };
            db.InternalUsers.Add(user);
        }

        return user;
    }

    public static List<Member> Read(string membersWithRoles)
    {
        try
        {
            return JsonSerializer.Deserialize<List<Member>>(membersWithRoles, ManagementJson.Options) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public static string Write(IEnumerable<Member> members) => JsonSerializer.Serialize(members, ManagementJson.Options);

    /// <summary>Adds a user to a team: its role, a membership (with <paramref name="maxBudgetInTeam"/>), the team in its list.</summary>
    public static async Task<(InternalUser User, TeamMembership Membership)?> AddAsync(
        GatewayDbContext db, Team team, Member member, decimal? maxBudgetInTeam, DateTimeOffset now, CancellationToken ct)
    {
        var user = await EnsureUserAsync(db, member, now, ct);
        var roles = Read(team.MembersWithRoles);
        if (roles.Any(m => m.UserId == user.UserId) || await db.TeamMemberships.AnyAsync(m => m.TeamId == team.TeamId && m.UserId == user.UserId, ct))
        {
            return null;
        }

        roles.Add(new Member { UserId = user.UserId, UserEmail = user.UserEmail ?? member.UserEmail, Role = member.Role });
        team.MembersWithRoles = Write(roles);
        var membership = new TeamMembership { TeamId = team.TeamId, UserId = user.UserId, MaxBudgetInTeam = maxBudgetInTeam, CreatedAt = now, UpdatedAt = now };
        db.TeamMemberships.Add(membership);
        if (!user.Teams.Contains(team.TeamId))
        {
            user.Teams = [.. user.Teams, team.TeamId];
        }

        return (user, membership);
    }

    /// <summary>The team's metadata with <c>team_member_key_duration</c> set (unchanged when null).</summary>
    public static string WithKeyDuration(string metadata, string? duration)
    {
        if (duration is null)
        {
            return metadata;
        }

        var node = JsonNode.Parse(string.IsNullOrEmpty(metadata) ? "{}" : metadata) as JsonObject ?? [];
        node[KeyDurationField] = duration;
        return node.ToJsonString();
    }

    /// <summary>The team's <c>team_member_key_duration</c>, if set.</summary>
    public static string? KeyDuration(string metadata)
    {
        using var document = JsonDocument.Parse(string.IsNullOrEmpty(metadata) ? "{}" : metadata);
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(KeyDurationField, out var value)
            && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    public static GatewayError? CheckKeyDuration(string? duration) =>
        duration is not null && (!Limits.BudgetWindow.TryParseDuration(duration, out _, out var month) || month)
            ? GatewayError.InvalidRequest($"'team_member_key_duration' must look like 30s, 30m, 24h or 30d; got '{duration}'.", KeyDurationField, "invalid_value")
            : null;

    /// <summary>A key generated for a team member without a <c>duration</c> gets the team's <c>team_member_key_duration</c>.</summary>
    public static async Task<KeyRequest> WithMemberKeyDurationAsync(GatewayDbContext db, KeyRequest request, CancellationToken ct)
    {
        if (request is not { Duration: null, TeamId: { } teamId, UserId: { } userId }
            || !await db.TeamMemberships.AnyAsync(m => m.TeamId == teamId && m.UserId == userId, ct))
        {
            return request;
        }

        var metadata = await db.Teams.Where(t => t.TeamId == teamId).Select(t => t.Metadata).FirstOrDefaultAsync(ct);
        return metadata is not null && KeyDuration(metadata) is { } duration ? request with { Duration = duration } : request;
    }

    private const string KeyDurationField = "team_member_key_duration";

    public static GatewayError AlreadyMember(string userId, string teamId) =>
        GatewayError.InvalidRequest($"User '{userId}' is already a member of team '{teamId}'.", "member", "invalid_value");
}
