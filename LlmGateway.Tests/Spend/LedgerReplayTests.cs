using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Spend;

/// <summary>
/// The ledger's write is idempotent: a batch is inserted plainly, and one holding a row already in the ledger (a replayed
/// event) is written again skipping it — only its new rows are counted and rolled up into their key's and team's spend.
/// </summary>
public sealed class LedgerReplayTests(TestServers servers)
{
    private const string Team = "team-replay";
    private static readonly string KeyHash = new('b', 64);

    [Fact]
    public async Task ABatchWithReplayedEventsAddsOnlyItsNewRowsAndTheirSpend()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers);
        await database.SeedTeamAndKeyAsync(Team, KeyHash);
        var start = DateTimeOffset.UtcNow.AddMinutes(-5);
        var a = SpendTestData.Usage("req-replay-a", Team, KeyHash, spend: 0.01m, start: start);
        var b = SpendTestData.Usage("req-replay-b", Team, KeyHash, spend: 0.02m, start: start.AddSeconds(1));
        var c = SpendTestData.Usage("req-replay-c", Team, KeyHash, spend: 0.04m, start: start.AddSeconds(2));

        Assert.Equal(2, await database.InsertAsync([a, b]));
        Assert.Equal(1, await database.InsertAsync([b, c, a with { Spend = 9m }])); // a replay never overwrites or adds
        Assert.Equal(0, await database.InsertAsync([c]));

        Assert.Equal((3L, 0.07m), await database.TotalsAsync());
        Assert.Equal(0.07m, await SpendTestData.ScalarAsync<decimal>(database.ConnectionString, "SELECT spend FROM virtual_keys WHERE token = @t", ("t", KeyHash)));
        Assert.Equal(0.07m, await SpendTestData.ScalarAsync<decimal>(database.ConnectionString, "SELECT spend FROM teams WHERE team_id = @t", ("t", Team)));
    }
}
