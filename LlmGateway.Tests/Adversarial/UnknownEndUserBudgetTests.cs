using System.Net;
using LlmGateway.Tests.Limits;
using LlmGateway.Tests.Management;
using StackExchange.Redis;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// <c>max_end_user_budget</c> for end users with no customer row. LiteLLM #40095: the first concurrent requests of a new
/// end user all saw $0 spent and spent 264,000× the default budget. Here each unknown id is its own scope in the
/// admission script, so the first burst is held exactly; and an attacker's random ids cost Redis counters that expire.
/// </summary>
public sealed class UnknownEndUserBudgetTests(EndUserFixture fixture) : IClassFixture<EndUserFixture>
{
    [Fact]
    public async Task TwoHundredConcurrentFirstRequestsOfABrandNewEndUserAreHeldToTheDefaultBudgetWithNoOvershoot()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "unknown-end-user-team" });
        var before = fixture.Upstream.RequestCount;

        var results = await BudgetTests.SendConcurrentlyAsync(200, i => (i % 2 == 0 ? fixture.Api : fixture.Replica, key),
            (i, k) => EndUserFixture.ChatFor(k, "brand-new-end-user", inHeader: i % 3 == 0));

        var admitted = (int)(EndUserFixture.DefaultEndUserBudget / GovernanceFixture.CallCost);
        Assert.Equal(admitted, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.Equal(admitted, fixture.Upstream.RequestCount - before);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.Status);
            Assert.Equal("budget_exceeded", r.Type);
            Assert.Contains("customer 'brand-new-end-user'", r.Message);
        });
    }

    [Fact]
    public async Task RandomEndUserIdsEachGetTheDefaultBudgetAndTheirCountersExpireWithinAnHour()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "random-end-user-team" });
        var ids = Enumerable.Range(0, 10).Select(_ => "rnd-" + Guid.NewGuid().ToString("N")).ToList();

        var results = await BudgetTests.SendConcurrentlyAsync(ids.Count, _ => (fixture.Api, key), (i, k) => EndUserFixture.ChatFor(k, ids[i]));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.RedisConnection);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var counters = server.Keys(pattern: "*{c:rnd-*:spent:*").ToList();
        var ttls = await Task.WhenAll(counters.Select(c => redis.GetDatabase().KeyTimeToLiveAsync(c)));

        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(ids.Count, counters.Count);
        Assert.All(ttls, ttl => Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(50), TimeSpan.FromMinutes(60)));
    }
}
