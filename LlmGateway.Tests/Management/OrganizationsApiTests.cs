using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;
using static LlmGateway.Tests.Infrastructure.AdminCalls;

namespace LlmGateway.Tests.Management;

/// <summary>LiteLLM's organizations: the CRUD with its field names, member_add, and an org's models bounding its teams'.</summary>
public sealed class OrganizationsApiTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NewInfoUpdateListMemberAddAndDeleteSpeakLiteLlmsFieldsAndDeleteTakesTheTeamsAndKeys()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var created = await PostAsync(admin, "/organization/new", new
        {
            organization_alias = "acme", models = new[] { GovernanceFixture.Model }, max_budget = 10, budget_duration = "30d",
            tpm_limit = 100000, rpm_limit = 1000, metadata = new { owner = "ops" },
        });
        var orgId = created.GetProperty("organization_id").GetString()!;
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "acme-search", organization_id = orgId });
        using (var call = await fixture.Api.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(key), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        }

        var members = await PostAsync(admin, "/organization/member_add", new
        {
            organization_id = orgId, member = new object[] { new { role = "org_admin", user_id = "org-ann" }, new { role = "internal_user", user_email = "org-ben@example.com" } },
        });
        var updated = await SendAsync(admin, HttpMethod.Patch, "/organization/update", new { organization_id = orgId, max_budget = 20 });
        await LocalProcess.WaitUntilAsync(async () => (await InfoAsync(admin, orgId)).GetProperty("spend").GetDecimal() == GovernanceFixture.CallCost,
            TimeSpan.FromSeconds(10), "the organization's spend");
        var info = await InfoAsync(admin, orgId);
        var list = await admin.GetFromJsonAsync<JsonElement>("/organization/list", Ct);
        var deleted = await SendAsync(admin, HttpMethod.Delete, "/organization/delete", new { organization_ids = new[] { orgId } });
        using var teamAfter = await admin.GetAsync($"/team/info?team_id={teamId}", Ct);
        using var keyAfter = await fixture.Api.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(key), Ct);

        Assert.Equal(("acme", 10m, "30d", 1000L), (created.GetProperty("organization_alias").GetString(), created.GetProperty("max_budget").GetDecimal(),
            created.GetProperty("budget_duration").GetString(), created.GetProperty("rpm_limit").GetInt64()));
        Assert.Equal(10m, created.GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal());
        Assert.Equal([GovernanceFixture.Model], created.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(2, members.GetProperty("updated_users").GetArrayLength());
        Assert.Equal(["org_admin", "internal_user"], members.GetProperty("updated_organization_memberships").EnumerateArray().Select(m => m.GetProperty("user_role").GetString()));
        Assert.Equal(20m, updated.GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal());
        Assert.Equal("ops", info.GetProperty("metadata").GetProperty("owner").GetString());
        Assert.Equal([teamId], info.GetProperty("teams").EnumerateArray().Select(t => t.GetProperty("team_id").GetString()));
        Assert.Equal(orgId, info.GetProperty("teams")[0].GetProperty("organization_id").GetString());
        Assert.Equal(2, info.GetProperty("members").GetArrayLength());
        Assert.Contains(list.EnumerateArray(), o => o.GetProperty("organization_id").GetString() == orgId);
        Assert.Equal([orgId], deleted.EnumerateArray().Select(o => o.GetProperty("organization_id").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, teamAfter.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, keyAfter.StatusCode);
    }

    [Fact]
    public async Task ATeamOutsideItsOrganizationsModelsIsRefusedAndATeamWithoutModelsGetsOnlyTheOrganizations()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var org = await PostAsync(admin, "/organization/new", new { organization_alias = "narrow", models = new[] { GovernanceFixture.Model }, max_budget = 5 });
        var orgId = org.GetProperty("organization_id").GetString()!;

        var outside = await FailAsync(admin, "/team/new", new { team_alias = "wide", organization_id = orgId, models = new[] { "other-model" } });
        var overBudget = await FailAsync(admin, "/team/new", new { team_alias = "rich", organization_id = orgId, max_budget = 50 });
        var unknownOrg = await FailAsync(admin, "/team/new", new { team_alias = "lost", organization_id = "no-such-org" });
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "inherits", organization_id = orgId });
        var movedOutside = await FailAsync(admin, "/team/update", new { team_id = teamId, models = new[] { "other-model" } });
        using var allowed = await fixture.Api.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(key), Ct);
        using var refused = await fixture.Api.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(key, "other-model"), Ct);

        Assert.Equal((400, "models"), (outside.Status, outside.Param));
        Assert.Contains("'other-model' not in organization's allowed models", outside.Message);
        Assert.Equal((400, "max_budget"), (overBudget.Status, overBudget.Param));
        Assert.Equal((400, "organization_id"), (unknownOrg.Status, unknownOrg.Param));
        Assert.Equal((400, "models"), (movedOutside.Status, movedOutside.Param));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(0, fixture.Upstream.Requests.Count(r => r.Body.Contains("gpt-other", StringComparison.Ordinal)));
    }

    private static async Task<JsonElement> InfoAsync(HttpClient admin, string orgId) =>
        await admin.GetFromJsonAsync<JsonElement>($"/organization/info?organization_id={orgId}", Ct);
}
