using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Management;

/// <summary>Budget objects held by keys and users (<c>budget_id</c>), and several budget windows on one key (<c>budget_limits</c>).</summary>
public sealed class BudgetObjectsTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoBudgetWindowsOnOneKeyHoldAtOnceAndThe429NamesTheWindowThatRefused()
    {
        var (_, daily) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "windows-team-1" }, new
        {
            budget_limits = new[] { new { budget_duration = "1d", max_budget = 0.03 }, new { budget_duration = "30d", max_budget = 0.10 } },
        });
        var (_, monthly) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "windows-team-2" }, new
        {
            budget_limits = new[] { new { budget_duration = "1d", max_budget = 0.10 }, new { budget_duration = "30d", max_budget = 0.02 } },
        });

        var byDaily = await BudgetTests.SendConcurrentlyAsync(200, i => (i % 2 == 0 ? fixture.Api : fixture.Replica, daily));
        var byMonthly = await BudgetTests.SendConcurrentlyAsync(200, i => (i % 2 == 0 ? fixture.Api : fixture.Replica, monthly));

        Assert.Equal(3, byDaily.Count(r => r.Status == HttpStatusCode.OK));
        Assert.All(byDaily.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Contains("(1d budget window)", r.Message));
        Assert.Equal(2, byMonthly.Count(r => r.Status == HttpStatusCode.OK));
        Assert.All(byMonthly.Where(r => r.Status != HttpStatusCode.OK), r =>
        {
            Assert.Equal("budget_exceeded", r.Type);
            Assert.Contains("(30d budget window)", r.Message);
        });
    }

    [Fact]
    public async Task ABudgetObjectLimitsTheKeysAndUsersThatHoldItAndItsUpdateReachesThem()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        await CustomersApiTests.PostAsync(admin, "/budget/new", new { budget_id = "key-tier", max_budget = 0.02 });
        await CustomersApiTests.PostAsync(admin, "/budget/new", new { budget_id = "user-tier", max_budget = 0.02 });
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "key-tier-team" }, new { budget_id = "key-tier" });
        var userKey = (await CustomersApiTests.PostAsync(admin, "/user/new", new { user_id = "tier-user", budget_id = "user-tier" })).GetProperty("key").GetString()!;

        var byKey = await SendAsync(key, 3);
        var byUser = await SendAsync(userKey, 3);
        await CustomersApiTests.PostAsync(admin, "/budget/update", new { budget_id = "key-tier", max_budget = 0.03 });
        var afterUpdate = await SendAsync(key, 2);
        var info = await admin.GetFromJsonAsync<JsonElement>("/user/info?user_id=tier-user", Ct);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], byKey.Select(r => r.Status));
        Assert.Contains("key '", byKey[2].Message);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], byUser.Select(r => r.Status));
        Assert.Contains("user 'tier-user'", byUser[2].Message);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], afterUpdate.Select(r => r.Status));
        Assert.Equal("user-tier", info.GetProperty("user_info").GetProperty("budget_id").GetString());
    }

    [Fact]
    public async Task AnUnknownBudgetIdOrABadWindowIs400NamingTheField()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var unknown = await admin.PostAsJsonAsync("/key/generate", new { budget_id = "no-such-budget" }, Ct);
        using var badWindow = await admin.PostAsJsonAsync("/key/generate", new { budget_limits = new[] { new { budget_duration = "fortnight", max_budget = 1 } } }, Ct);
        using var badUser = await admin.PostAsJsonAsync("/user/new", new { user_id = "no-tier-user", budget_id = "no-such-budget" }, Ct);

        Assert.Equal((HttpStatusCode.BadRequest, "budget_id"), (unknown.StatusCode, await ParamAsync(unknown)));
        Assert.Equal((HttpStatusCode.BadRequest, "budget_limits"), (badWindow.StatusCode, await ParamAsync(badWindow)));
        Assert.Equal((HttpStatusCode.BadRequest, "budget_id"), (badUser.StatusCode, await ParamAsync(badUser)));
    }

    private static async Task<string?> ParamAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetProperty("param").GetString();

    private async Task<List<BudgetTests.Outcome>> SendAsync(string key, int count)
    {
        var outcomes = new List<BudgetTests.Outcome>();
        for (var i = 0; i < count; i++)
        {
            outcomes.AddRange(await BudgetTests.SendConcurrentlyAsync(1, _ => (fixture.Api, key)));
        }

        return outcomes;
    }
}
