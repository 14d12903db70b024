using System.Net;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;
using static LlmGateway.Tests.Infrastructure.AdminCalls;

namespace LlmGateway.Tests.Management;

/// <summary>
/// LiteLLM's update semantics for limits: a field sent as null removes the limit, a field left out keeps it. Before, null
/// read as "left out", so no budget could be removed through the API once set.
/// </summary>
public sealed class LimitRemovalTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AKeysBudgetAndLimitsSentAsNullAreRemovedAndItsRequestsAdmittedAgain()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "removal" }, new
        {
            key_alias = "removal-key", max_budget = 0, soft_budget = 1, budget_duration = "30d", rpm_limit = 1, tpm_limit = 100000,
            max_parallel_requests = 5,
        });
        using (var refused = await fixture.Api.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(key), Ct))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode); // a $0 budget refuses every request
        }

        var updated = await PostAsync(admin, "/key/update", new Dictionary<string, object?>
        {
            ["key"] = key, ["max_budget"] = null, ["soft_budget"] = null, ["budget_duration"] = null, ["rpm_limit"] = null,
            ["tpm_limit"] = null, ["max_parallel_requests"] = null,
        });
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var call = await fixture.Api.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(key), Ct);
            statuses.Add(call.StatusCode);
        }

        foreach (var field in new[] { "max_budget", "soft_budget", "budget_duration", "rpm_limit", "tpm_limit", "max_parallel_requests" })
        {
            Assert.Equal(JsonValueKind.Null, updated.GetProperty(field).ValueKind);
        }

        Assert.Equal("removal-key", updated.GetProperty("key_alias").GetString()); // left out: kept
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], statuses); // no budget, and rpm 1 no more
    }

    public static TheoryData<string> Holders => ["team", "user", "customer", "organization", "tag", "budget"];

    [Theory]
    [MemberData(nameof(Holders))]
    public async Task ALimitSentAsNullIsRemovedAndOneLeftOutIsKept(string holder)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var id = $"removal-{holder}-{Guid.NewGuid():N}"[..30];
        var (idField, created) = holder switch
        {
            "team" => ("team_id", await PostAsync(admin, "/team/new", new { team_alias = id, max_budget = 5, rpm_limit = 10, tpm_limit = 1000 })),
            "user" => ("user_id", await PostAsync(admin, "/user/new", new { user_id = id, max_budget = 5, rpm_limit = 10, tpm_limit = 1000, auto_create_key = false })),
            "customer" => ("user_id", await PostAsync(admin, "/customer/new", new { user_id = id, max_budget = 5, rpm_limit = 10, tpm_limit = 1000 })),
            "organization" => ("organization_id", await PostAsync(admin, "/organization/new", new { organization_alias = id, max_budget = 5, rpm_limit = 10, tpm_limit = 1000 })),
            "tag" => ("name", await PostAsync(admin, "/tag/new", new { name = id, max_budget = 5, rpm_limit = 10, tpm_limit = 1000 })),
            _ => ("budget_id", await PostAsync(admin, "/budget/new", new { budget_id = id, max_budget = 5, rpm_limit = 10, tpm_limit = 1000 })),
        };
        var holderId = Holder(created).GetProperty(idField).GetString();
        var path = holder == "organization" ? "/organization/update" : $"/{holder}/update";

        var updated = await SendAsync(admin, holder == "organization" ? HttpMethod.Patch : HttpMethod.Post, path,
            new Dictionary<string, object?> { [idField] = holderId, ["max_budget"] = null, ["rpm_limit"] = null });

        Assert.Equal(5m, Limits(created).GetProperty("max_budget").GetDecimal());
        Assert.Equal(JsonValueKind.Null, Limits(updated).GetProperty("max_budget").ValueKind);
        Assert.Equal(JsonValueKind.Null, Limits(updated).GetProperty("rpm_limit").ValueKind);
        Assert.Equal(1000, Limits(updated).GetProperty("tpm_limit").GetInt64());
    }

    [Fact]
    public async Task ATeamMembersBudgetSentAsNullIsRemovedAndItsRoleLeftOutIsKept()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var teamId = (await PostAsync(admin, "/team/new", new { team_alias = "removal-members" })).GetProperty("team_id").GetString()!;
        await PostAsync(admin, "/team/member_add", new { team_id = teamId, member = new { role = "admin", user_id = "removal-ann" }, max_budget_in_team = 4 });

        var updated = await PostAsync(admin, "/team/member_update",
            new Dictionary<string, object?> { ["team_id"] = teamId, ["user_id"] = "removal-ann", ["max_budget_in_team"] = null });
        var info = await SendAsync(admin, HttpMethod.Get, $"/team/info?team_id={teamId}");

        Assert.Equal(JsonValueKind.Null, updated.GetProperty("max_budget_in_team").ValueKind);
        var membership = Assert.Single(info.GetProperty("team_memberships").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, membership.GetProperty("litellm_budget_table").GetProperty("max_budget").ValueKind);
        Assert.Contains(info.GetProperty("team_info").GetProperty("members_with_roles").EnumerateArray(),
            m => m.GetProperty("user_id").GetString() == "removal-ann" && m.GetProperty("role").GetString() == "admin");
    }

    /// <summary>The holder in an answer: a tag's answer wraps it (<c>{"message", "tag"}</c>).</summary>
    private static JsonElement Holder(JsonElement answer) => answer.TryGetProperty("tag", out var tag) ? tag : answer;

    /// <summary>Where a holder's answer keeps its limits: customers in LiteLLM's budget table.</summary>
    private static JsonElement Limits(JsonElement answer) =>
        Holder(answer) is var holder && !holder.TryGetProperty("tpm_limit", out _) && holder.TryGetProperty("litellm_budget_table", out var table) ? table : holder;
}
