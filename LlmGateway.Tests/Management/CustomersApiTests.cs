using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Api.Customers;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Tests.Management;

/// <summary>LiteLLM's end customers and budget objects: the CRUD with its field names, and a customer's limits held exactly.</summary>
public sealed class CustomersApiTests(EndUserFixture fixture) : IClassFixture<EndUserFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NewInfoUpdateListBlockUnblockAndDeleteSpeakLiteLlmsFields()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "customer-crud-team" });
        var created = await PostAsync(admin, "/customer/new", new
        {
            user_id = "crud-customer", alias = "Acme", max_budget = 2, budget_duration = "30d", rpm_limit = 100, tpm_limit = 100_000,
            allowed_model_region = "eu", default_model = GovernanceFixture.Model,
        });
        using var duplicate = await admin.PostAsJsonAsync("/customer/new", new { user_id = "crud-customer" }, Ct);
        using var served = await fixture.Api.CreateLoopbackClient().SendAsync(EndUserFixture.ChatFor(key, "crud-customer"), Ct);
        await LocalProcess.WaitUntilAsync(async () => (await InfoAsync(admin, "crud-customer")).GetProperty("spend").GetDecimal() == GovernanceFixture.CallCost,
            TimeSpan.FromSeconds(10), "the customer's spend");
        var info = await InfoAsync(admin, "crud-customer");
        var updated = await PostAsync(admin, "/customer/update", new { user_id = "crud-customer", alias = "Acme Corp", max_budget = 3 });
        var blocked = await PostAsync(admin, "/customer/block", new { user_ids = new[] { "crud-customer" } });
        await ReplicaSeesAsync("crud-customer", c => c.Blocked);
        using var refused = await fixture.Replica.CreateLoopbackClient().SendAsync(EndUserFixture.ChatFor(key, "crud-customer", inHeader: true), Ct);
        var list = await admin.GetFromJsonAsync<JsonElement>("/customer/list", Ct);
        await PostAsync(admin, "/customer/unblock", new { user_ids = new[] { "crud-customer" } });
        await ReplicaSeesAsync("crud-customer", c => !c.Blocked);
        using var servedAgain = await fixture.Replica.CreateLoopbackClient().SendAsync(EndUserFixture.ChatFor(key, "crud-customer"), Ct);
        var deleted = await PostAsync(admin, "/customer/delete", new { user_ids = new[] { "crud-customer" } });
        using var gone = await admin.GetAsync("/customer/info?end_user_id=crud-customer", Ct);

        Assert.Equal(("crud-customer", "Acme", false, "eu"), (created.GetProperty("user_id").GetString(), created.GetProperty("alias").GetString(),
            created.GetProperty("blocked").GetBoolean(), created.GetProperty("allowed_model_region").GetString()));
        Assert.Equal(2m, created.GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal());
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Contains("Customer already exists", await duplicate.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(("30d", 100L), (info.GetProperty("litellm_budget_table").GetProperty("budget_duration").GetString(),
            info.GetProperty("litellm_budget_table").GetProperty("rpm_limit").GetInt64()));
        Assert.Equal(("Acme Corp", 3m), (updated.GetProperty("alias").GetString(), updated.GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal()));
        Assert.Equal(["crud-customer"], blocked.GetProperty("blocked_users").EnumerateArray().Select(u => u.GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("End User=crud-customer is blocked", await refused.Content.ReadAsStringAsync(Ct));
        Assert.Contains(list.EnumerateArray(), c => c.GetProperty("user_id").GetString() == "crud-customer" && c.GetProperty("blocked").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, servedAgain.StatusCode);
        Assert.Equal(1, deleted.GetProperty("deleted_customers").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, gone.StatusCode);
        Assert.Contains("End User Id=crud-customer does not exist in db", await gone.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task TheGatewayHeaderWinsOverLitellmsHeaderWhichWinsOverTheBody()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "customer-precedence-team" });
        await PostAsync(admin, "/customer/block", new { user_ids = new[] { "precedence-blocked" } });

        using var byLitellmHeader = EndUserFixture.ChatFor(key, "precedence-fine");
        byLitellmHeader.Headers.Add("x-litellm-end-user-id", "precedence-blocked");
        using var byGatewayHeader = EndUserFixture.ChatFor(key, "precedence-blocked", inHeader: true);
        byGatewayHeader.Headers.Add("x-gateway-end-user", "precedence-fine");
        using var client = fixture.Api.CreateLoopbackClient();
        using var refused = await client.SendAsync(byLitellmHeader, Ct);
        using var served = await client.SendAsync(byGatewayHeader, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task TwoHundredConcurrentRequestsOfOneCustomerOverBothReplicasStopExactlyAtItsBudget()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        await PostAsync(admin, "/customer/new", new { user_id = "budget-customer", max_budget = 0.3 });
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "customer-budget-team" });
        // The other replica learns of a new customer within milliseconds (docs/governance.md), not at once: the race starts once it has.
        await ReplicaSeesAsync("budget-customer", c => c.MaxBudget == 0.3m);
        var before = fixture.Upstream.RequestCount;

        var results = await BudgetTests.SendConcurrentlyAsync(200, i => (i % 2 == 0 ? fixture.Api : fixture.Replica, key),
            (i, k) => EndUserFixture.ChatFor(k, "budget-customer", inHeader: i % 4 < 2));

        Assert.Equal(30, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.Equal(30, fixture.Upstream.RequestCount - before);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.Status);
            Assert.Equal("budget_exceeded", r.Type);
            Assert.Contains("customer 'budget-customer'", r.Message);
        });
        await LocalProcess.WaitUntilAsync(async () => (await InfoAsync(admin, "budget-customer")).GetProperty("spend").GetDecimal() == 0.3m,
            TimeSpan.FromSeconds(10), "the customer's spend");
    }

    [Fact]
    public async Task ABudgetObjectUpdateReachesItsCustomersOnEveryReplica()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        await PostAsync(admin, "/budget/new", new { budget_id = "tier-small", max_budget = 0.02 });
        await PostAsync(admin, "/customer/new", new { user_id = "tier-customer-1", budget_id = "tier-small" });
        await PostAsync(admin, "/customer/new", new { user_id = "tier-customer-2", budget_id = "tier-small" });
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "customer-tier-team" });

        var firstHolder = await SendAsync(fixture.Replica, key, "tier-customer-1", 3);
        var secondHolder = await SendAsync(fixture.Replica, key, "tier-customer-2", 3);
        await PostAsync(admin, "/budget/update", new { budget_id = "tier-small", max_budget = 0.04 });
        await ReplicaSeesAsync("tier-customer-1", c => c.MaxBudget == 0.04m);
        var afterUpdate = await SendAsync(fixture.Replica, key, "tier-customer-1", 3);
        var info = await InfoAsync(admin, "tier-customer-2");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], firstHolder);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], secondHolder);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], afterUpdate);
        Assert.Equal(("tier-small", 0.04m), (info.GetProperty("budget_id").GetString(),
            info.GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal()));
    }

    [Fact]
    public async Task BudgetObjectsSpeakLiteLlmsFieldsAndOneInUseIsNotDeleted()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var created = await PostAsync(admin, "/budget/new", new
        {
            budget_id = "crud-tier", max_budget = 10, soft_budget = 8, max_parallel_requests = 4, tpm_limit = 1000, rpm_limit = 10,
            budget_duration = "1d", model_max_budget = new Dictionary<string, object> { ["gpt-test"] = new { budget_limit = 1 } },
        });
        await PostAsync(admin, "/customer/new", new { user_id = "crud-tier-holder", budget_id = "crud-tier" });
        var info = await PostAsync(admin, "/budget/info", new { budgets = new[] { "crud-tier" } });
        var updated = await PostAsync(admin, "/budget/update", new { budget_id = "crud-tier", rpm_limit = 20 });
        var list = await admin.GetFromJsonAsync<JsonElement>("/budget/list", Ct);
        using var inUse = await admin.PostAsJsonAsync("/budget/delete", new { id = "crud-tier" }, Ct);
        using var unknownBudget = await admin.PostAsJsonAsync("/customer/new", new { user_id = "crud-no-tier", budget_id = "no-such-tier" }, Ct);
        await PostAsync(admin, "/customer/delete", new { user_ids = new[] { "crud-tier-holder" } });
        var deleted = await PostAsync(admin, "/budget/delete", new { id = "crud-tier" });

        Assert.Equal(("crud-tier", 10m, 8m, 4, "1d"), (created.GetProperty("budget_id").GetString(), created.GetProperty("max_budget").GetDecimal(),
            created.GetProperty("soft_budget").GetDecimal(), created.GetProperty("max_parallel_requests").GetInt32(), created.GetProperty("budget_duration").GetString()));
        Assert.Equal(1m, created.GetProperty("model_max_budget").GetProperty("gpt-test").GetProperty("budget_limit").GetDecimal());
        Assert.Equal(10, info.EnumerateArray().Single().GetProperty("rpm_limit").GetInt64());
        Assert.Equal((20L, 1000L), (updated.GetProperty("rpm_limit").GetInt64(), updated.GetProperty("tpm_limit").GetInt64()));
        Assert.Contains(list.EnumerateArray(), b => b.GetProperty("budget_id").GetString() == "crud-tier");
        Assert.Equal(HttpStatusCode.BadRequest, inUse.StatusCode);
        Assert.Equal("budget_id", (await unknownBudget.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetProperty("param").GetString());
        Assert.Equal("crud-tier", deleted.GetProperty("budget_id").GetString());
    }

    /// <summary>Changes reach the other replica over pub/sub: waits for it (a condition, not a sleep).</summary>
    private Task ReplicaSeesAsync(string endUser, Func<CustomerRecord, bool> condition) =>
        LocalProcess.WaitUntilAsync(() => Task.FromResult(fixture.Replica.Services.GetRequiredService<CustomerDirectory>().Find(endUser) is { } c && condition(c)),
            TimeSpan.FromSeconds(5), "the replica's copy of the customer");

    private async Task<List<HttpStatusCode>> SendAsync(GatewayApiHost host, string key, string endUser, int count)
    {
        using var client = host.CreateLoopbackClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var response = await client.SendAsync(EndUserFixture.ChatFor(key, endUser), Ct);
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    private static async Task<JsonElement> InfoAsync(HttpClient admin, string endUser) =>
        await admin.GetFromJsonAsync<JsonElement>($"/customer/info?end_user_id={endUser}", Ct);

    internal static async Task<JsonElement> PostAsync(HttpClient admin, string path, object body)
    {
        using var response = await admin.PostAsJsonAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
