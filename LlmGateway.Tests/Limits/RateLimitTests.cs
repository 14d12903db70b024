using System.Net;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Limits;

public sealed class RateLimitTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    [Fact]
    public async Task TwoHundredRequestsAtOnceAgainstRpmSixtyAdmitExactlySixty()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "rpm-team" }, new { key_alias = "rpm-key", rpm_limit = 60 });

        var results = await BudgetTests.SendConcurrentlyAsync(200, _ => (fixture.Api, key));

        Assert.Equal(60, results.Count(r => r.Status == HttpStatusCode.OK));
        var limited = results.Where(r => r.Status != HttpStatusCode.OK).ToList();
        Assert.Equal(140, limited.Count);
        Assert.All(limited, r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.Status);
            Assert.Equal("rate_limit_exceeded", r.Type);
            Assert.Contains("key 'rpm-key'", r.Message);
            Assert.Contains("Limit type: requests. Current limit: 60", r.Message);
            Assert.NotNull(r.RetryAfter);
        });
    }

    [Fact]
    public async Task TheSameRpmLimitHoldsExactlyAcrossTwoReplicas()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "rpm-replicas", rpm_limit = 30 });

        var results = await BudgetTests.SendConcurrentlyAsync(120, i => (i % 2 == 0 ? fixture.Api : fixture.Replica, key));

        Assert.Equal(30, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Contains("team 'rpm-replicas'", r.Message));
    }

    [Fact]
    public async Task MaxParallelRequestsRefusesTheRequestsBeyondTheLimitWhileOthersAreInFlight()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "parallel-team" }, new { max_parallel_requests = 2 });
        for (var i = 0; i < 6; i++)
        {
            fixture.Upstream.Enqueue(Fakes.FakeResponse.Ok with { DelayBeforeHeaders = TimeSpan.FromMilliseconds(600), CompletionTokens = 100 });
        }

        var results = await BudgetTests.SendConcurrentlyAsync(6, _ => (fixture.Api, key));
        fixture.Upstream.Reset();
        fixture.Upstream.Default = Fakes.FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };

        Assert.Equal(2, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Contains("max_parallel_requests", r.Message));
    }

    [Fact]
    public async Task EveryResponseCarriesTheKeysRateLimitHeaders()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "header-team" }, new { rpm_limit = 10, tpm_limit = 100000 });
        using var client = fixture.Api.CreateLoopbackClient();
        using var response = await client.SendAsync(GovernanceFixture.Chat(key), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("10", response.Headers.GetValues("x-ratelimit-limit-requests").Single());
        Assert.Equal("9", response.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        Assert.Equal("100000", response.Headers.GetValues("x-ratelimit-limit-tokens").Single());
        Assert.True(long.Parse(response.Headers.GetValues("x-ratelimit-remaining-tokens").Single()) < 100000);
        Assert.Equal("0.01", response.Headers.GetValues("x-gateway-cost-usd").Single());
    }
}
