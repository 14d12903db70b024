using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: use a deployment whose price the gateway does not know. It cost $0 against budgets, so a budgeted key had
/// unlimited use of it. A caller under a budget is now refused (403 in its own envelope, naming the deployment and
/// <c>Gateway:Pricing:UnknownPrice</c>) before any upstream call, on every replica, fallbacks included.
/// </summary>
public sealed class UnpricedDeploymentTests(PricingAttackFixture fixture) : IClassFixture<PricingAttackFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("key")]
    [InlineData("team")]
    [InlineData("user")]
    public async Task ABudgetedCallerIsRefusedAnUnpricedDeploymentOnEveryReplicaWithNoUpstreamCall(string budgetOn)
    {
        var (_, key) = await BudgetedKeyAsync(budgetOn);
        var before = fixture.Upstream.RequestCount;

        foreach (var host in new[] { fixture.Api, fixture.Replica })
        {
            using var client = host.CreateLoopbackClient();
            using var response = await client.SendAsync(PricingAttackFixture.Chat(key, "unpriced"), Ct);
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error");

            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("price_unknown", error.GetProperty("code").GetString());
            var message = error.GetProperty("message").GetString()!;
            Assert.Contains("'unpriced'", message);
            Assert.Contains("'unpriced-1' (in-house-model)", message);
            Assert.Contains("Gateway:Pricing:UnknownPrice", message);
        }

        Assert.Equal(before, fixture.Upstream.RequestCount);
    }

    [Fact]
    public async Task TheMessagesApiGetsTheRefusalInAnthropicsEnvelope()
    {
        var (_, key) = await BudgetedKeyAsync("team");
        using var client = fixture.Api.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Headers = { { "x-api-key", key }, { "anthropic-version", "2023-06-01" } },
            Content = new StringContent("""{"model":"unpriced","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request, Ct);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal("permission_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("Gateway:Pricing:UnknownPrice", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task AGroupWithOneUnpricedDeploymentIsRefusedWhicheverDeploymentTheRouterWouldPick()
    {
        var (_, key) = await BudgetedKeyAsync("key");
        using var client = fixture.Api.CreateLoopbackClient();
        var before = fixture.Upstream.RequestCount;

        for (var i = 0; i < 4; i++)
        {
            using var response = await client.SendAsync(PricingAttackFixture.Chat(key, "mixed"), Ct);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("'mixed-unpriced'", await MessageAsync(response));
        }

        Assert.Equal(before, fixture.Upstream.RequestCount);
    }

    [Fact]
    public async Task AFallbackToAnUnpricedGroupIsRefusedNotServed()
    {
        var (teamId, key) = await BudgetedKeyAsync("team");
        fixture.Spare.Default = FakeResponse.Error(500);
        var before = fixture.Upstream.RequestCount;
        try
        {
            using var client = fixture.Api.CreateLoopbackClient();
            using var response = await client.SendAsync(PricingAttackFixture.Chat(key, "falls-back"), Ct);

            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("'unpriced-1'", await MessageAsync(response));
        }
        finally
        {
            fixture.Spare.Default = FakeResponse.Ok;
        }

        Assert.Equal(before, fixture.Upstream.RequestCount); // the unpriced fallback was never called
        Assert.Equal(0m, await fixture.TeamSpendAsync(teamId));
    }

    [Fact]
    public async Task AnUnbudgetedKeyAndTheMasterKeyAreServedAndTheRowIsFlaggedPriceUnknown()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"unbudgeted-{Guid.NewGuid():N}" }, new { rpm_limit = 100 });
        using var client = fixture.Api.CreateLoopbackClient();
        using var keyed = await client.SendAsync(PricingAttackFixture.Chat(key, "unpriced"), Ct);
        using var master = await client.SendAsync(PricingAttackFixture.Chat(GatewayApiHost.MasterKey, "unpriced"), Ct);

        Assert.Equal(HttpStatusCode.OK, keyed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, master.StatusCode);
        var row = Assert.Single(await fixture.LedgerRowsAsync(key));
        Assert.True(row.GetProperty("price_unknown").GetBoolean());
    }

    [Fact]
    public async Task UnknownPriceAllowServesABudgetedKeyAndTheBuiltInMockIsNeverRefused()
    {
        var (_, key) = await BudgetedKeyAsync("key");
        using var allowing = fixture.Allowing.CreateLoopbackClient();
        using var allowed = await allowing.SendAsync(PricingAttackFixture.Chat(key, "unpriced"), Ct);
        using var client = fixture.Api.CreateLoopbackClient();
        using var mock = await client.SendAsync(PricingAttackFixture.Chat(key, "free-mock"), Ct);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, mock.StatusCode);
    }

    [Fact]
    public async Task ModelInfoShowsWhichDeploymentsAreUnpriced()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = await admin.GetFromJsonAsync<JsonElement>("/model/info", Ct);
        var unknown = info.GetProperty("data").EnumerateArray()
            .ToDictionary(d => d.GetProperty("model_info").GetProperty("id").GetString()!, d => d.GetProperty("model_info").GetProperty("price_unknown").GetBoolean());

        Assert.True(unknown["unpriced-1"]);
        Assert.True(unknown["mixed-unpriced"]);
        Assert.False(unknown["priced-1"]);
        Assert.False(unknown["mixed-priced"]);
    }

    private static async Task<string> MessageAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetProperty("message").GetString()!;

    private async Task<(string TeamId, string Key)> BudgetedKeyAsync(string budgetOn)
    {
        var alias = $"unpriced-{budgetOn}-{Guid.NewGuid():N}";
        if (budgetOn == "user")
        {
            using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
            (await admin.PostAsJsonAsync("/user/new", new { user_id = alias, max_budget = 5, auto_create_key = false }, Ct)).EnsureSuccessStatusCode();
            return await fixture.CreateTeamAndKeyAsync(new { team_alias = alias }, new { user_id = alias });
        }

        return budgetOn == "team"
            ? await fixture.CreateTeamAndKeyAsync(new { team_alias = alias, max_budget = 5 })
            : await fixture.CreateTeamAndKeyAsync(new { team_alias = alias }, new { max_budget = 5 });
    }
}
