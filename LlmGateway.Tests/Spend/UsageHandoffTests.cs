using LlmGateway.Api.Spend;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

/// <summary>
/// The in-process handoff of a replica's own usage events to its ledger writer: the rows it writes from the objects equal,
/// column for column, the rows a writer that parses every entry makes (the reference: a host with the handoff off), also
/// after a failed batch, after a writer restart with pending entries, and with two replicas reading one stream.
/// </summary>
public sealed class UsageHandoffTests(TestServers servers)
{
    private static readonly TimeSpan RowsTimeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OwnEventsWrittenFromMemoryMakeTheSameRowsAsParsedEventsInEveryColumn()
    {
        var events = HandoffEvents.Tricky("own");
        var reference = await ReferenceLedgerAsync(events);

        await using var api = await StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync());
        await SeedAsync(api);
        await RecordAsync(api, events);
        await WaitForRowsAsync(api.Services.GetRequiredConnectionString(), events.Count, RowsTimeout);

        Assert.Equal(reference, await HandoffEvents.LedgerAsync(api.Services.GetRequiredConnectionString()));
        // The writer took (nearly) every event from memory: one it read before XADD's answer came back is parsed instead.
        Assert.InRange(Handoff(api).Taken, events.Count - 2, events.Count);
    }

    [Fact]
    public async Task PendingEntriesAreWrittenTheSameAfterAFailedBatchAndAfterTheWriterRestarts()
    {
        var failed = HandoffEvents.Tricky("failed");
        var restarted = HandoffEvents.Tricky("restarted");
        var reference = await ReferenceLedgerAsync([.. failed, .. restarted]);
        await using var postgres = await TestServers.StartOwnPostgresAsync();
        var database = await postgres.CreateDatabaseAsync("gateway");
        var redisConnection = await servers.CreateRedisAsync();
        using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection);

        await using (var first = await StartAsync(database, redisConnection))
        {
            await SeedAsync(first);
            await CheckpointAsync(database);

            // Postgres down: the writer reads the batch, fails, and the entries stay pending; the events wait in memory.
            await postgres.StopAsync();
            await RecordAsync(first, failed);
            await WaitForPendingAsync(redis);
            await LocalProcess.WaitUntilAsync(() => Task.FromResult(Handoff(first).Count == failed.Count), TimeSpan.FromSeconds(30),
                "the failed batch's events handed back");
            await RestartAsync(postgres);
            await WaitForRowsAsync(database, failed.Count, RowsTimeout);
            Assert.InRange(Handoff(first).Taken, failed.Count, 10 * failed.Count); // taken again on each re-read

            // Down again, and this replica stops with its batch pending: the next process has nothing in memory and parses.
            await CheckpointAsync(database);
            await postgres.StopAsync();
            await RecordAsync(first, restarted);
            await WaitForPendingAsync(redis);
        }

        await RestartAsync(postgres);
        await using var second = await StartAsync(database, redisConnection, ("Gateway:Spend:ClaimIdleTime", "00:00:01"));
        await WaitForRowsAsync(database, failed.Count + restarted.Count, RowsTimeout);

        Assert.Equal(reference, await HandoffEvents.LedgerAsync(database));
        Assert.Equal(0, Handoff(second).Taken);
    }

    [Fact]
    public async Task TwoReplicasReadingOneStreamWriteTheSameRowsAsParsedEvents()
    {
        var events = Enumerable.Range(0, 40).SelectMany(i => HandoffEvents.Tricky($"pair-{i:D2}")).ToList();
        var reference = await ReferenceLedgerAsync(events);
        var database = await servers.CreateDatabaseAsync();
        var redisConnection = await servers.CreateRedisAsync();
        await using var replicaA = await StartAsync(database, redisConnection);
        await using var replicaB = await StartAsync(database, redisConnection);
        await SeedAsync(replicaA);

        // Each replica records half; either writer reads any entry, its own from memory, the other's by parsing.
        await Task.WhenAll(
            RecordAsync(replicaA, events.Where((_, i) => i % 2 == 0).ToList()),
            RecordAsync(replicaB, events.Where((_, i) => i % 2 == 1).ToList()));
        await WaitForRowsAsync(database, events.Count, RowsTimeout);

        Assert.Equal(reference, await HandoffEvents.LedgerAsync(database));
        Assert.True(Handoff(replicaA).Taken + Handoff(replicaB).Taken > 0, "no event was taken from memory");
    }

    /// <summary>The ledger a writer that parses every entry makes of <paramref name="events"/>, in a database of its own.</summary>
    private async Task<List<string>> ReferenceLedgerAsync(IReadOnlyList<UsageEvent> events)
    {
        await using var api = await StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(), ("Gateway:Spend:HandoffCapacity", "0"));
        await SeedAsync(api);
        await RecordAsync(api, events);
        var database = api.Services.GetRequiredConnectionString();
        await WaitForRowsAsync(database, events.Count, RowsTimeout);
        Assert.Equal(0, Handoff(api).Taken);
        return await HandoffEvents.LedgerAsync(database);
    }

    private static Task<GatewayApiHost> StartAsync(string database, string redis, params (string Key, string Value)[] extra) =>
        GatewayApiHost.StartAsync(database, redis, Settings(NewDataDirectory(), [
            ("Gateway:Spend:BatchSize", "7"), // several batches, and batches that mix both replicas' entries
            ("Gateway:Spend:BatchInsertTimeout", "00:00:02"),
            ("Gateway:Spend:DrainTimeout", "00:00:01"),
            .. extra]));

    private static Task SeedAsync(GatewayApiHost api) =>
        SeedTeamAndKeyAsync(api.Services, HandoffEvents.Team, HandoffEvents.Key);

    private static UsageHandoff Handoff(GatewayApiHost api) => api.Services.GetRequiredService<UsageHandoff>();

    private static async Task RecordAsync(GatewayApiHost api, IReadOnlyList<UsageEvent> events)
    {
        var recorder = api.Services.GetRequiredService<IUsageRecorder>();
        await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = Ct },
            async (usage, ct) => await recorder.RecordAsync(usage, ct));
    }

    private static Task WaitForPendingAsync(ConnectionMultiplexer redis) =>
        LocalProcess.WaitUntilAsync(
            async () => (await redis.GetDatabase().StreamPendingAsync("llmgateway:usage", "ledger")).PendingMessageCount > 0,
            TimeSpan.FromSeconds(30), "the writer's read of the batch it cannot write");
}
