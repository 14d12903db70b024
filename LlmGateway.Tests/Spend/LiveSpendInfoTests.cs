using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

/// <summary><c>/key/info</c> and <c>/team/info</c> read the live budget counter, so a request settled a moment ago shows at once.</summary>
public sealed class LiveSpendInfoTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KeyAndTeamInfoShowSpendFromTheLiveCounterNotOnlyTheLedger()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "live-spend", max_budget = 10 }, new { max_budget = 5 });
        using var client = fixture.Api.CreateLoopbackClient();
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.SendAsync(GovernanceFixture.Chat(key), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Once the ledger has the rows, take them away: what /key/info shows now can only come from the Redis counter.
        await LocalProcess.WaitUntilAsync(async () => await TeamRowsAsync(teamId) == 3, TimeSpan.FromSeconds(20), "the ledger rows of the team");
        await ScalarAsync<int>(fixture.DatabaseConnection,
            "WITH gone AS (DELETE FROM spend_logs WHERE team_id = @team RETURNING 1) SELECT count(*)::int FROM gone", ("team", teamId));

        using var admin = fixture.Replica.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var keyInfo = await admin.GetFromJsonAsync<JsonElement>($"/key/info?key={key}", Ct);
        var teamInfo = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={teamId}", Ct);

        Assert.Equal(3 * GovernanceFixture.CallCost, keyInfo.GetProperty("info").GetProperty("spend").GetDecimal());
        Assert.Equal(3 * GovernanceFixture.CallCost, teamInfo.GetProperty("team_info").GetProperty("spend").GetDecimal());
    }

    private Task<long> TeamRowsAsync(string teamId) =>
        ScalarAsync<long>(fixture.DatabaseConnection, "SELECT count(*) FROM spend_logs WHERE team_id = @team", ("team", teamId));
}
