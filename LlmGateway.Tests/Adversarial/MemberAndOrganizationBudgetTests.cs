using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;
using StackExchange.Redis;
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

    [Fact]
    public async Task WhenRedisLosesTheirCountersTheMemberAndOrganizationBudgetsAreRebuiltFromTheLedger()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var org = await PostAsync(admin, "/organization/new", new { organization_alias = "ledger-org", max_budget = 0.05 });
        var orgId = org.GetProperty("organization_id").GetString()!;
        var team = await PostAsync(admin, "/team/new", new { team_alias = "ledger-team", organization_id = orgId });
        var teamId = team.GetProperty("team_id").GetString()!;
        await PostAsync(admin, "/team/member_add", new { team_id = teamId, member = new { role = "user", user_id = "ledger-eve" }, max_budget_in_team = 0.03 });
        var memberKey = (await PostAsync(admin, "/key/generate", new { team_id = teamId, user_id = "ledger-eve" })).GetProperty("key").GetString()!;
        var teamKey = (await PostAsync(admin, "/key/generate", new { team_id = teamId })).GetProperty("key").GetString()!;
        var beforeLoss = await SendOneByOneAsync(memberKey, 2);
        await LocalProcess.WaitUntilAsync(async () => (await admin.GetFromJsonAsync<JsonElement[]>($"/spend/logs?team_id={teamId}&summarize=false", Ct))!.Length == 2,
            TimeSpan.FromSeconds(10), "both requests in the ledger");
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(fixture.RedisConnection))
        {
            var server = redis.GetServers()[0];
            var counters = server.Keys(pattern: $"*{{o:{orgId}}}*").Concat(server.Keys(pattern: $"*{{t:{teamId}}}*")).ToList();
            Assert.Contains(counters, k => k.ToString().Contains($":org:{orgId}:spent:", StringComparison.Ordinal));
            Assert.Contains(counters, k => k.ToString().Contains($":member:{teamId}:ledger-eve:spent:", StringComparison.Ordinal));
            foreach (var key in counters)
            {
                await redis.GetDatabase().KeyDeleteAsync(key);
            }
        }

        var member = await SendOneByOneAsync(memberKey, 2);
        var others = await SendOneByOneAsync(teamKey, 3);

        Assert.All(beforeLoss, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], member.Select(r => r.Status));
        Assert.Contains("team member 'ledger-eve' in team 'ledger-team'", member[1].Message);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], others.Select(r => r.Status));
        Assert.Contains("organization 'ledger-org'", others[2].Message);
    }

    private async Task<List<BudgetTests.Outcome>> SendOneByOneAsync(string key, int count)
    {
        var outcomes = new List<BudgetTests.Outcome>();
        for (var i = 0; i < count; i++)
        {
            outcomes.AddRange(await BudgetTests.SendConcurrentlyAsync(1, _ => (i % 2 == 0 ? fixture.Api : fixture.Replica, key)));
        }

        return outcomes;
    }

    private static async Task<decimal> MemberSpendAsync(HttpClient admin, string teamId, string userId) =>
        (await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={teamId}", Ct)).GetProperty("team_memberships").EnumerateArray()
            .Single(m => m.GetProperty("user_id").GetString() == userId).GetProperty("spend").GetDecimal();
}
