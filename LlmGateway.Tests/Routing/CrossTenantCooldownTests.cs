using System.Net;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Routing;

/// <summary>
/// One tenant's oversized request must not cool a deployment down for every tenant: a provider 429 that is about
/// the request alone (its own "Request too large", or rate-limit headers that say capacity remains) leaves the
/// deployment in service, and tenant B keeps being served right after tenant A triggered it.
/// </summary>
public sealed class CrossTenantCooldownTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string> RequestLevelRefusals => new()
    {
        { "Request too large for gpt-test on tokens per min (TPM): Limit 30000, Requested 45000.", "x-ratelimit-remaining-requests", "499" },
        { "This request would exceed the rate limit for your organization.", "anthropic-ratelimit-tokens-remaining", "120000" },
    };

    [Theory]
    [MemberData(nameof(RequestLevelRefusals))]
    public async Task TenantBIsServedRightAfterTenantAsRequestWasRefusedOnItsOwn(string message, string header, string remaining)
    {
        var (_, keyA) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"tenant-a-{Guid.NewGuid():N}" });
        var (_, keyB) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"tenant-b-{Guid.NewGuid():N}" });
        fixture.Upstream.Enqueue(FakeResponse.Error(429, message) with { Headers = new Dictionary<string, string> { [header] = remaining } });

        using var client = fixture.Api.CreateLoopbackClient();
        using (await client.SendAsync(GovernanceFixture.Chat(keyA), Ct))
        {
        }

        using var b = await client.SendAsync(GovernanceFixture.Chat(keyB), Ct);
        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        using var onTheOtherReplica = await fixture.Replica.CreateLoopbackClient().SendAsync(GovernanceFixture.Chat(keyB), Ct);
        Assert.Equal(HttpStatusCode.OK, onTheOtherReplica.StatusCode);
    }
}
