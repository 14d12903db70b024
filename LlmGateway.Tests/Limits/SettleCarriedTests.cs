using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Api.Limits;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Tests.Limits;

/// <summary>
/// A settle waits for its slot's next admission (<c>Gateway:Limits:SettleLinger</c>, here an hour so that nothing else
/// sends it): a sequential client's request costs one limits script call, the next admission sees the previous request
/// settled, and a spend read counts every request answered.
/// </summary>
public sealed class SettleCarriedTests(SettleCarriedTests.LingeringFixture fixture) : IClassFixture<SettleCarriedTests.LingeringFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASequentialClientsNextAdmissionCarriesItsPreviousSettleAndStaysExact()
    {
        // $0.06 on the team, $0.01 a call.
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "carried-team", max_budget = 0.06 });
        using var client = fixture.Api.CreateLoopbackClient();
        using (var warm = await client.SendAsync(GovernanceFixture.Chat(key), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode); // seeds the team's counter
        }

        var batcher = fixture.Api.Services.GetRequiredService<ScriptBatcher>();
        var callsBefore = batcher.ScriptCalls;
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.SendAsync(GovernanceFixture.Chat(key), Ct);
            statuses.Add(response.StatusCode);
        }

        // Each admission settled the previous request's cost before deciding: refused for the budget from the sixth on.
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 5).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 5)), statuses);
        Assert.Equal(10, batcher.ScriptCalls - callsBefore); // one script call per request: no settle was sent alone
        Assert.Equal(0.06m, await TeamSpendAsync(teamId));
    }

    [Fact]
    public async Task AParallelLeaseIsGivenBackAtOnceForTheNextRequestOnTheOtherReplica()
    {
        // One request at a time; the other replica cannot carry this one's settle, so it must not wait for the next admission
        // on this one (an hour here): the lease is back without it — before the answer's end (ParallelLeaseAcrossReplicasTests),
        // so the lease is checked right after each answer, without waiting.
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "parallel-carried-team" }, new { max_parallel_requests = 1 });
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.RedisConnection);
        var leases = redis.GetServer(redis.GetEndPoints()[0]);
        for (var i = 0; i < 6; i++)
        {
            using var client = (i % 2 == 0 ? fixture.Api : fixture.Replica).CreateLoopbackClient();
            using var response = await client.SendAsync(GovernanceFixture.Chat(key), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(0, (await Task.WhenAll(leases.Keys(pattern: $"llmgateway:{{t:{teamId}}}:*:par")
                .Select(k => redis.GetDatabase().SortedSetLengthAsync(k)))).Sum());
        }
    }

    [Fact]
    public async Task ASettleThatCostMoreThanItsReservationDoesNotWaitForTheNextAdmission()
    {
        // Reserved $0.01, cost $0.10 (a provider ignoring max_tokens): waiting, only the $0.01 would be counted in Redis, and
        // the other replica would admit against $0.09 of room that is not there.
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "overrun-not-waiting-team", max_budget = 1.00 });
        fixture.Upstream.Enqueue(Fakes.FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 1000 });
        using (var client = fixture.Api.CreateLoopbackClient())
        using (var response = await client.SendAsync(GovernanceFixture.Chat(key), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.RedisConnection);
        var spent = redis.GetServer(redis.GetEndPoints()[0]).Keys(pattern: $"llmgateway:{{t:{teamId}}}:team:*:spent:*").Single();
        await LocalProcess.WaitUntilAsync(async () => (long)await redis.GetDatabase().StringGetAsync(spent) == 100_000_000,
            TimeSpan.FromSeconds(10), "the $0.10 counted in Redis without a next admission");
    }

    [Fact]
    public async Task AWaitingSettleIsCountedWhenTheSpendIsRead()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "read-team", max_budget = 1.00 });
        using var client = fixture.Api.CreateLoopbackClient();
        using (var response = await client.SendAsync(GovernanceFixture.Chat(key), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Its settle waits for an admission that does not come; reading the spend sends it.
        Assert.Equal(GovernanceFixture.CallCost, await TeamSpendAsync(teamId));
    }

    private async Task<decimal> TeamSpendAsync(string teamId)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={teamId}", Ct);
        return info.GetProperty("team_info").GetProperty("spend").GetDecimal();
    }

    /// <summary>
    /// The governance fixture whose first replica lets a settle wait an hour for its slot's next call, and whose budget alerts
    /// (which read every budget's spend, sending the waiting settles) are evaluated once an hour.
    /// </summary>
    public sealed class LingeringFixture(TestServers servers) : GovernanceFixture(servers)
    {
        protected override (string Key, string? Value)[] ExtraSettings => [("Gateway:Alerts:EvaluationInterval", "01:00:00")];

        protected override Action<IServiceCollection> ApiServices => services =>
            services.AddSingleton(new LimitsOptions { SettleLinger = TimeSpan.FromHours(1) });
    }
}
