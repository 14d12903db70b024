using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;
using static LlmGateway.Tests.Infrastructure.AdminCalls;

namespace LlmGateway.Tests.Management;

/// <summary>LiteLLM's team members: member_add|member_delete|member_update, members_with_roles, team_member_key_duration.</summary>
public sealed class TeamMembersApiTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MemberAddCreatesMissingUsersAndTeamInfoShowsRolesAndBudgetsInLiteLlmsShapes()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var team = await PostAsync(admin, "/team/new", new
        {
            team_alias = "members-team", members_with_roles = new[] { new { role = "admin", user_id = "tm-admin" } },
        });
        var teamId = team.GetProperty("team_id").GetString()!;
        var added = await PostAsync(admin, "/team/member_add", new
        {
            team_id = teamId,
            member = new object[] { new { role = "user", user_id = "tm-bob" }, new { role = "user", user_email = "tm-carol@example.com" } },
            max_budget_in_team = 0.5,
        });
        var updated = await PostAsync(admin, "/team/member_update", new { team_id = teamId, user_id = "tm-bob", role = "admin", max_budget_in_team = 2 });
        var info = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={teamId}", Ct);
        var bob = await admin.GetFromJsonAsync<JsonElement>("/user/info?user_id=tm-bob", Ct);
        var duplicate = await FailAsync(admin, "/team/member_add", new { team_id = teamId, member = new { role = "user", user_id = "tm-bob" } });
        var badRole = await FailAsync(admin, "/team/member_add", new { team_id = teamId, member = new { role = "owner", user_id = "tm-dan" } });

        Assert.Equal(teamId, added.GetProperty("team_id").GetString());
        Assert.Equal(["tm-bob", "tm-carol@example.com"], added.GetProperty("updated_users").EnumerateArray().Select(u => u.GetProperty("user_id").GetString() == "tm-bob" ? "tm-bob" : u.GetProperty("user_email").GetString()));
        Assert.All(added.GetProperty("updated_team_memberships").EnumerateArray(),
            m => Assert.Equal(0.5m, m.GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal()));
        Assert.Equal(3, added.GetProperty("members_with_roles").GetArrayLength());
        Assert.Equal((teamId, "tm-bob", 2m), (updated.GetProperty("team_id").GetString(), updated.GetProperty("user_id").GetString(), updated.GetProperty("max_budget_in_team").GetDecimal()));
        var roles = info.GetProperty("team_info").GetProperty("members_with_roles").EnumerateArray()
            .ToDictionary(m => m.GetProperty("user_id").GetString()!, m => m.GetProperty("role").GetString());
        Assert.Equal("admin", roles["tm-admin"]);
        Assert.Equal("admin", roles["tm-bob"]);
        Assert.Equal(3, info.GetProperty("team_memberships").GetArrayLength());
        Assert.Contains(info.GetProperty("team_memberships").EnumerateArray(), m => m.GetProperty("user_id").GetString() == "tm-bob"
            && m.GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal() == 2m);
        Assert.Contains(teamId, bob.GetProperty("user_info").GetProperty("teams").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(400, duplicate.Status);
        Assert.Equal((400, "member.role"), (badRole.Status, badRole.Param));
    }

    [Fact]
    public async Task MemberDeleteDeletesTheMembersKeysForThatTeamOnly()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        await PostAsync(admin, "/user/new", new { user_id = "tm-leaver", auto_create_key = false });
        var (teamA, keyA) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "leave-a" }, new { user_id = "tm-leaver" });
        var (teamB, keyB) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "leave-b" }, new { user_id = "tm-leaver" });
        await PostAsync(admin, "/team/member_add", new { team_id = teamA, member = new { role = "user", user_id = "tm-leaver" } });
        await PostAsync(admin, "/team/member_add", new { team_id = teamB, member = new { role = "user", user_id = "tm-leaver" } });
        using (var before = await fixture.Replica.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(keyA), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode); // cached on the replica before the removal
        }

        var team = await PostAsync(admin, "/team/member_delete", new { team_id = teamA, user_id = "tm-leaver" });
        var notMember = await FailAsync(admin, "/team/member_delete", new { team_id = teamA, user_id = "tm-leaver" });

        Assert.Equal(0, team.GetProperty("members_with_roles").GetArrayLength());
        Assert.Equal(400, notMember.Status);
        await LocalProcess.WaitUntilAsync(async () =>
        {
            using var after = await fixture.Replica.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(keyA), Ct);
            return after.StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(5), "the removed member's key refused on the other replica");
        using var other = await fixture.Api.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(keyB), Ct);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task TeamMemberKeyDurationIsTheDefaultDurationOfKeysGeneratedForAMember()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var team = await PostAsync(admin, "/team/new", new { team_alias = "short-keys", team_member_key_duration = "1h" });
        var teamId = team.GetProperty("team_id").GetString()!;
        await PostAsync(admin, "/team/member_add", new { team_id = teamId, member = new { role = "user", user_id = "tm-short" } });
        await PostAsync(admin, "/user/new", new { user_id = "tm-outsider", auto_create_key = false });

        var memberKey = await PostAsync(admin, "/key/generate", new { team_id = teamId, user_id = "tm-short" });
        var explicitKey = await PostAsync(admin, "/key/generate", new { team_id = teamId, user_id = "tm-short", duration = "2h" });
        var outsiderKey = await PostAsync(admin, "/key/generate", new { team_id = teamId, user_id = "tm-outsider" });
        var invalid = await FailAsync(admin, "/team/new", new { team_alias = "bad", team_member_key_duration = "soon" });

        Assert.Equal("1h", team.GetProperty("metadata").GetProperty("team_member_key_duration").GetString());
        var expires = memberKey.GetProperty("expires").GetDateTimeOffset();
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
        Assert.InRange(explicitKey.GetProperty("expires").GetDateTimeOffset() - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(115), TimeSpan.FromMinutes(121));
        Assert.Equal(JsonValueKind.Null, outsiderKey.GetProperty("expires").ValueKind);
        Assert.Equal((400, "team_member_key_duration"), (invalid.Status, invalid.Param));
    }
}
