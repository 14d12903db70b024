using System.Diagnostics;
using LlmGateway.Api.Spend;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

public sealed class UsageOutageTests(TestServers servers) : IDisposable
{
    private static readonly TimeSpan RecordBound = TimeSpan.FromSeconds(5);
    private readonly string dataDirectory = NewDataDirectory();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => DeleteDirectory(dataDirectory);

    [Fact]
    public async Task WhileRedisIsDownEventsAreWrittenToPostgresDirectly()
    {
        await using var redis = await TestServers.StartOwnRedisAsync();
        await using var api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), redis.ConnectionString, Settings(dataDirectory));
        var database = api.Services.GetRequiredConnectionString();
        var keyHash = HashOf("sk-redis-down");
        await SeedTeamAndKeyAsync(api.Services, "team-redis-down", keyHash);
        await redis.StopAsync();

        var events = Enumerable.Range(0, 20).Select(i => Usage($"req-redis-down-{i}", "team-redis-down", keyHash, 0.01m)).ToList();
        await RecordAllBoundedAsync(api, events);

        await WaitForRowsAsync(database, 20, TimeSpan.FromSeconds(30));
        Assert.Equal(0.2m, await ScalarAsync<decimal>(database, "SELECT spend FROM teams WHERE team_id = 'team-redis-down'"));
        Assert.False(File.Exists(Path.Combine(dataDirectory, UsageSpool.FileName)));
    }

    [Fact]
    public async Task EventsRecordedWhilePostgresIsDownAllLandOnceWhenItIsBack()
    {
        await using var postgres = await TestServers.StartOwnPostgresAsync();
        var database = await postgres.CreateDatabaseAsync("gateway");
        await using var api = await GatewayApiHost.StartAsync(database, await servers.CreateRedisAsync(), Settings(dataDirectory));
        var keyHash = HashOf("sk-pg-down");
        await SeedTeamAndKeyAsync(api.Services, "team-pg-down", keyHash);
        await CheckpointAsync(database);
        await postgres.StopAsync();

        var events = new List<UsageEvent>();
        for (var wave = 0; wave < 5; wave++)
        {
            var batch = Enumerable.Range(0, 20).Select(i => Usage($"req-pg-down-{wave}-{i}", "team-pg-down", keyHash, 0.001m)).ToList();
            await RecordAllBoundedAsync(api, batch);
            events.AddRange(batch);
            await Task.Delay(300, Ct); // pacing: a stream of events over the outage, not an assertion
        }

        await RestartAsync(postgres);
        await WaitForRowsAsync(database, 100, TimeSpan.FromSeconds(60));

        Assert.Equal(100L, await ScalarAsync<long>(database, "SELECT count(DISTINCT request_id) FROM spend_logs"));
        Assert.Equal(100L, await CountRowsAsync(database));
        Assert.Equal(0.1m, await ScalarAsync<decimal>(database, "SELECT spend FROM teams WHERE team_id = 'team-pg-down'"));
        Assert.Equal(0.1m, await ScalarAsync<decimal>(database, "SELECT spend FROM virtual_keys WHERE token = @t", ("t", keyHash)));
    }

    [Fact]
    public async Task WithRedisAndPostgresBothDownEventsAreSpooledToDiskAndReplayedWhenTheyReturn()
    {
        await using var postgres = await TestServers.StartOwnPostgresAsync();
        await using var redis = await TestServers.StartOwnRedisAsync();
        var database = await postgres.CreateDatabaseAsync("gateway");
        await using var api = await GatewayApiHost.StartAsync(database, redis.ConnectionString, Settings(dataDirectory));
        await CheckpointAsync(database);
        await redis.StopAsync();
        await postgres.StopAsync();

        var events = Enumerable.Range(0, 30).Select(i => Usage($"req-both-down-{i}", spend: 0.002m)).ToList();
        await RecordAllBoundedAsync(api, events);

        // Durable before RecordAsync returned: every event is a line on disk already.
        Assert.Equal(30, SpooledLines());

        await redis.StartAsync();
        await RestartAsync(postgres);
        await WaitForRowsAsync(database, 30, TimeSpan.FromSeconds(60));
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(SpooledLines() == 0), TimeSpan.FromSeconds(10), "the spool's removal");
        Assert.Equal(30L, await ScalarAsync<long>(database, "SELECT count(DISTINCT request_id) FROM spend_logs"));
    }

    private int SpooledLines() => Directory.Exists(dataDirectory)
        ? Directory.EnumerateFiles(dataDirectory, "usage-spool*.jsonl").Sum(f => File.ReadAllLines(f).Count(l => l.Length > 0))
        : 0;

    private static async Task RecordAllBoundedAsync(GatewayApiHost api, IReadOnlyList<UsageEvent> events)
    {
        var recorder = api.Services.GetRequiredService<IUsageRecorder>();
        await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (usage, ct) =>
        {
            var clock = Stopwatch.StartNew();
            await recorder.RecordAsync(usage, ct);
            Assert.True(clock.Elapsed < RecordBound, $"RecordAsync took {clock.Elapsed}");
        });
    }
}
