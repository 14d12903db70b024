using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Management;

/// <summary>LiteLLM's internal users: the CRUD with its field names, and a user's budget held over all the keys it owns.</summary>
public sealed class UsersApiTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NewInfoUpdateListAndDeleteSpeakLiteLlmsFieldsAndTheAutoCreatedKeyWorksUntilTheUserIsDeleted()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var created = await ManagementCalls.PostOkAsync(admin, "/user/new", new
        {
            user_id = "crud-alice", user_alias = "Alice", user_email = "alice@example.com", user_role = "internal_user_viewer",
            max_budget = 5, budget_duration = "30d", models = new[] { GovernanceFixture.Model }, rpm_limit = 100,
        });
        var key = created.GetProperty("key").GetString()!;
        using var call = await fixture.Api.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(key), Ct);
        await LocalProcess.WaitUntilAsync(async () => await UserSpendAsync(admin, "crud-alice") == GovernanceFixture.CallCost,
            TimeSpan.FromSeconds(10), "the user's spend"); // its budget's live counter
        var info = await admin.GetFromJsonAsync<JsonElement>("/user/info?user_id=crud-alice", Ct);
        var updated = await ManagementCalls.PostOkAsync(admin, "/user/update", new { user_id = "crud-alice", max_budget = 7, user_role = "internal_user" });
        var list = await admin.GetFromJsonAsync<JsonElement>("/user/list?role=internal_user", Ct);
        var deleted = await ManagementCalls.PostOkAsync(admin, "/user/delete", new { user_ids = new[] { "crud-alice" } });
        using var afterDelete = await fixture.Api.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(key), Ct);

        Assert.StartsWith("sk-", key, StringComparison.Ordinal);
        Assert.Equal(("crud-alice", "internal_user_viewer", 5m), (created.GetProperty("user_id").GetString(),
            created.GetProperty("user_role").GetString(), created.GetProperty("max_budget").GetDecimal()));
        Assert.Equal(HttpStatusCode.OK, call.StatusCode);
        Assert.Equal("alice@example.com", info.GetProperty("user_info").GetProperty("user_email").GetString());
        Assert.Equal(created.GetProperty("token").GetString(), info.GetProperty("keys").EnumerateArray().Single().GetProperty("token").GetString());
        Assert.Equal(7m, updated.GetProperty("max_budget").GetDecimal());
        Assert.Contains(list.GetProperty("users").EnumerateArray(), u => u.GetProperty("user_id").GetString() == "crud-alice");
        Assert.True(list.GetProperty("total").GetInt32() >= 1);
        Assert.Equal(["crud-alice"], deleted.GetProperty("deleted_users").EnumerateArray().Select(u => u.GetString()));
        Assert.Equal(HttpStatusCode.Unauthorized, afterDelete.StatusCode);
    }

    [Fact]
    public async Task AnUnknownRoleIs400NamingUserRole()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var response = await admin.PostAsJsonAsync("/user/new", new { user_id = "bad-role", user_role = "superuser" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("user_role", (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task TwoHundredConcurrentRequestsOverTwoKeysInTwoTeamsStopExactlyAtTheUsersBudget()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        await ManagementCalls.PostOkAsync(admin, "/user/new", new { user_id = "budget-bob", max_budget = 0.5, auto_create_key = false });
        var (_, first) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "user-team-1" }, new { user_id = "budget-bob" });
        var (_, second) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "user-team-2" }, new { user_id = "budget-bob" });

        var results = await BudgetTests.SendConcurrentlyAsync(200, i => (i % 2 == 0 ? fixture.Api : fixture.Replica, i % 4 < 2 ? first : second));

        Assert.Equal(50, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.Status);
            Assert.Equal("budget_exceeded", r.Type);
            Assert.Contains("user 'budget-bob'", r.Message);
        });
        // The last settles may trail their responses by a moment; the spend then is the budget exactly.
        await LocalProcess.WaitUntilAsync(async () => await UserSpendAsync(admin, "budget-bob") == 0.5m, TimeSpan.FromSeconds(10), "the user's spend");
    }

    [Fact]
    public async Task KeyAndUserBudgetsApplyAtOnceAndThe429NamesTheScopeThatRefused()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        await ManagementCalls.PostOkAsync(admin, "/user/new", new { user_id = "scoped-carol", max_budget = 0.05, auto_create_key = false });
        var (_, small) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "scoped-team", max_budget = 10 }, new { user_id = "scoped-carol", max_budget = 0.03 });
        var (_, large) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "scoped-team-2", max_budget = 10 }, new { user_id = "scoped-carol" });

        var bySmall = await BudgetTests.SendOneByOneAsync(fixture.Api, small, 4);
        var byLarge = await BudgetTests.SendOneByOneAsync(fixture.Api, large, 3);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], bySmall.Select(r => r.Status));
        Assert.Contains("key '", bySmall[3].Message);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], byLarge.Select(r => r.Status));
        Assert.Contains("user 'scoped-carol'", byLarge[2].Message);
    }

    private static async Task<decimal> UserSpendAsync(HttpClient admin, string userId) =>
        (await admin.GetFromJsonAsync<JsonElement>($"/user/info?user_id={userId}", Ct)).GetProperty("user_info").GetProperty("spend").GetDecimal();
}
