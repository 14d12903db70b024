using System.Net;
using LlmGateway.Api.Limits;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Tests.Limits;

/// <summary>The two replicas of <see cref="GovernanceFixture"/> with leased admission turned off (<c>Gateway:Limits:Leases: false</c>).</summary>
public sealed class PerRequestGovernanceFixture(TestServers servers) : GovernanceFixture(servers)
{
    protected override (string Key, string? Value)[] ExtraSettings => [("Gateway:Limits:Leases", "false")];
}

/// <summary>
/// Leases are on by default, so most governed tests run with them; these pin the admission per request (every request
/// decided by <c>admit.lua</c> in Redis) that <c>Gateway:Limits:Leases: false</c> keeps: as exact, and no lease asked for.
/// </summary>
public sealed class AdmissionPerRequestTests(PerRequestGovernanceFixture fixture) : IClassFixture<PerRequestGovernanceFixture>
{
    private IEnumerable<LimitsGate> Gates => [fixture.Api.Services.GetRequiredService<LimitsGate>(), fixture.Replica.Services.GetRequiredService<LimitsGate>()];

    [Fact]
    public async Task ThousandConcurrentRequestsOverTwoReplicasAgainstADollarBudgetAdmitExactlyAHundredWithoutLeases()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "per-request-race", max_budget = 1.00, budget_duration = "1mo" });
        var before = fixture.Upstream.RequestCount;

        var results = await BudgetTests.SendConcurrentlyAsync(1000, i => (i % 2 == 0 ? fixture.Api : fixture.Replica, key));

        Assert.Equal(100, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.Equal(100, fixture.Upstream.RequestCount - before);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Equal("budget_exceeded", r.Type));
        Assert.All(Gates, gate => Assert.Equal((0L, 0L), (gate.LeaseAsks, gate.LeasedAdmissions)));
    }

    [Fact]
    public async Task ASequentialClientFarFromItsLimitsIsAdmittedThroughRedisEveryTime()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "per-request-sequential", max_budget = 100.0 }, new { rpm_limit = 10_000 });
        using var client = fixture.Api.CreateLoopbackClient();

        for (var i = 0; i < 20; i++)
        {
            using var response = await client.SendAsync(GovernanceFixture.Chat(key), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // Each admission through Redis says exactly what it left: no lease took the next ones ahead of time.
            Assert.Equal((9_999 - i).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("x-ratelimit-remaining-requests").Single());
        }

        Assert.All(Gates, gate => Assert.Equal((0L, 0L, 0), (gate.LeaseAsks, gate.LeasedAdmissions, gate.LeasesOut)));
    }
}
