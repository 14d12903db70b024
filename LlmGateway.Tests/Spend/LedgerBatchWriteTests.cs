using LlmGateway.Api.Spend;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

/// <summary>
/// The ledger's batch write (binary COPY into the staging table, then <c>INSERT … ON CONFLICT DO NOTHING</c> and the
/// spend roll-up) on a real Postgres: replays, bad rows and two replicas writing the same events at once.
/// </summary>
public sealed class LedgerBatchWriteTests(TestServers servers)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AReplayedBatchAddsNoRowAndNoSpendAndOnlyItsNewEventsCount()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers);
        var key = HashOf("sk-replay");
        await database.SeedTeamAndKeyAsync("team-replay", key);
        var events = Batch("replay", 60, "team-replay", key);
        await using var store = database.Store();

        Assert.Equal(50, (await store.InsertAsync(events[..50], Timeout, Ct)).Inserted);
        var replay = await store.InsertAsync([.. events[..50], .. events[50..], events[55]], Timeout, Ct);

        Assert.Equal(10, replay.Inserted);
        Assert.Empty(replay.Rejected);
        Assert.Equal(0, (await store.InsertAsync(events, Timeout, Ct)).Inserted);
        var expected = events.Sum(e => e.Spend);
        Assert.Equal((60L, expected), await database.TotalsAsync());
        Assert.Equal((expected, expected), await SpendOfAsync(database, "team-replay", key));
    }

    [Fact]
    public async Task OneMalformedEventIsSetAsideAndTheRestOfItsBatchIsWrittenCleaned()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers);
        var key = HashOf("sk-bad-row");
        await database.SeedTeamAndKeyAsync("team-bad-row", key);
        var events = Batch("bad-row", 20, "team-bad-row", key);
        var bad = events[7] with { Spend = 1_000_000_000_000m }; // beyond numeric(18, 8): refused by Postgres (22003)
        events[7] = bad;
        events[3] = events[3] with { User = "user\0with-nul", RequestId = "long-" + new string('x', 100), Metadata = "[not an object" };
        await using var store = database.Store();

        var write = await store.InsertAsync(events, Timeout, Ct);

        Assert.Equal(19, write.Inserted);
        Assert.Equal([bad], write.Rejected);
        var expected = events.Where(e => e != bad).Sum(e => e.Spend);
        Assert.Equal((19L, expected), await database.TotalsAsync());
        Assert.Equal((expected, expected), await SpendOfAsync(database, "team-bad-row", key));
        Assert.Equal("userwith-nul|{}|64", await ScalarAsync<string>(database.ConnectionString,
            "SELECT \"user\" || '|' || metadata::text || '|' || length(request_id) FROM spend_logs WHERE request_id LIKE 'long-%'"));

        // Alone, the bad event is set aside too (not retried forever), and the staging table keeps nothing of it.
        var alone = await store.InsertAsync([bad], Timeout, Ct);
        Assert.Equal(0, alone.Inserted);
        Assert.Equal([bad], alone.Rejected);
        Assert.Equal(1, (await store.InsertAsync([Batch("after-bad", 1, "team-bad-row", key)[0]], Timeout, Ct)).Inserted);
        Assert.Equal(20L, (await database.TotalsAsync()).Rows);
    }

    [Fact]
    public async Task TwoReplicasWritingOverlappingBatchesAtOnceWriteEachEventOnceAndCountItsSpendOnce()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers);
        string[] keys = [HashOf("sk-race-0"), HashOf("sk-race-1"), HashOf("sk-race-2")];
        for (var i = 0; i < keys.Length; i++)
        {
            await database.SeedTeamAndKeyAsync($"team-race-{i}", keys[i]);
        }

        var events = Enumerable.Range(0, 1200)
            .Select(i => Usage($"req-race-{i:D4}", $"team-race-{i % 3}", keys[i % 3], spend: 0.00001m * (i + 1)))
            .ToList();
        await using var replicaA = database.Store();
        await using var replicaB = database.Store();

        // A writes the first 800 in order, B the last 800 backwards: 400 events in both, in opposite orders, at once;
        // then both write the same whole batch at the same moment.
        var writesA = WriteAllAsync(replicaA, events[..800].Chunk(50));
        var writesB = WriteAllAsync(replicaB, events[400..].AsEnumerable().Reverse().Chunk(50));
        var inserted = (await writesA) + (await writesB);
        var extra = Usage("req-race-extra", "team-race-0", keys[0], spend: 0.5m);
        List<UsageEvent> again = [.. events[..300], extra];
        var both = await Task.WhenAll(replicaA.InsertAsync(again, Timeout, Ct), replicaB.InsertAsync(again, Timeout, Ct));

        Assert.Equal(1200, inserted);
        Assert.Equal(1, both.Sum(w => w.Inserted));
        events.Add(extra);
        Assert.Equal((1201L, events.Sum(e => e.Spend)), await database.TotalsAsync());
        for (var i = 0; i < keys.Length; i++)
        {
            var expected = events.Where(e => e.ApiKeyHash == keys[i]).Sum(e => e.Spend);
            Assert.Equal((expected, expected), await SpendOfAsync(database, $"team-race-{i}", keys[i]));
        }
    }

    private static async Task<int> WriteAllAsync(SpendLedgerStore store, IEnumerable<UsageEvent[]> batches)
    {
        var inserted = 0;
        foreach (var batch in batches)
        {
            var write = await store.InsertAsync(batch, Timeout, Ct);
            Assert.Empty(write.Rejected);
            inserted += write.Inserted;
        }

        return inserted;
    }

    private static List<UsageEvent> Batch(string name, int count, string teamId, string keyHash) =>
        Enumerable.Range(1, count).Select(i => Usage($"req-{name}-{i:D3}", teamId, keyHash, spend: 0.0001m * i)).ToList();

    private static async Task<(decimal Team, decimal Key)> SpendOfAsync(LedgerDatabase database, string teamId, string keyHash) =>
        (await ScalarAsync<decimal>(database.ConnectionString, "SELECT spend FROM teams WHERE team_id = @t", ("t", teamId)),
         await ScalarAsync<decimal>(database.ConnectionString, "SELECT spend FROM virtual_keys WHERE token = @k", ("k", keyHash)));
}
