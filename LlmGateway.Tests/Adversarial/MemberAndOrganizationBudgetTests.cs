using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;
using static LlmGateway.Tests.Infrastructure.AdminCalls;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// A team member's budget in its team and an organization's budget over its teams, each hit by 200 concurrent requests
/// spread over two keys and two replicas: exactly the budget is admitted, and every 429 names the scope that refused.
/// </summary>
public sealed class MemberAndOrganizationBudgetTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoHundredConcurrentRequestsOverAMembersTwoKeysStopExactlyAtItsBudgetInTheTeam()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var team = await PostAsync(admin, "/team/new", new { team_alias = "member-budget-team", max_budget = 100 });
        var teamId = team.GetProperty("team_id").GetString()!;
        await PostAsync(admin, "/team/member_add", new { team_id = teamId, member = new { role = "user", user_id = "mb-dora" }, max_budget_in_team = 0.5 });
        var first = (await PostAsync(admin, "/key/generate", new { team_id = teamId, user_id = "mb-dora" })).GetProperty("key").GetString()!;
        var second = (await PostAsync(admin, "/key/generate", new { team_id = teamId, user_id = "mb-dora" })).GetProperty("key").GetString()!;
        var before = fixture.Upstream.RequestCount;

        var results = await BudgetTests.SendConcurrentlyAsync(200, i => (i % 2 == 0 ? fixture.Api : fixture.Replica, i % 4 < 2 ? first : second));

        Assert.Equal(50, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.Equal(50, fixture.Upstream.RequestCount - before);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r =>
        {
            Assert.Equal((HttpStatusCode.TooManyRequests, "budget_exceeded"), (r.Status, r.Type));
            Assert.Contains("team member 'mb-dora' in team 'member-budget-team'", r.Message);
        });
        await LocalProcess.WaitUntilAsync(async () => await MemberSpendAsync(admin, teamId, "mb-dora") == 0.5m, TimeSpan.FromSeconds(10), "the member's spend");
    }

    [Fact]
    public async Task TwoHundredConcurrentRequestsOverTwoTeamsOfAnOrganizationStopExactlyAtItsBudget()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var org = await PostAsync(admin, "/organization/new", new { organization_alias = "budget-org", max_budget = 0.5 });
        var orgId = org.GetProperty("organization_id").GetString()!;
        var (_, first) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "org-team-1", organization_id = orgId });
        var (_, second) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "org-team-2", organization_id = orgId });
        var before = fixture.Upstream.RequestCount;

        var results = await BudgetTests.SendConcurrentlyAsync(200, i => (i % 2 == 0 ? fixture.Api : fixture.Replica, i % 4 < 2 ? first : second));

        Assert.Equal(50, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.Equal(50, fixture.Upstream.RequestCount - before);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r =>
        {
            Assert.Equal((HttpStatusCode.TooManyRequests, "budget_exceeded"), (r.Status, r.Type));
            Assert.Contains("organization 'budget-org'", r.Message);
        });
        await LocalProcess.WaitUntilAsync(async () => (await admin.GetFromJsonAsync<JsonElement>($"/organization/info?organization_id={orgId}", Ct))
            .GetProperty("spend").GetDecimal() == 0.5m, TimeSpan.FromSeconds(10), "the organization's spend");
    }

    private static async Task<decimal> MemberSpendAsync(HttpClient admin, string teamId, string userId) =>
        (await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={teamId}", Ct)).GetProperty("team_memberships").EnumerateArray()
            .Single(m => m.GetProperty("user_id").GetString() == userId).GetProperty("spend").GetDecimal();
}
