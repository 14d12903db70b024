using LlmGateway.Api.Spend;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

public sealed class UsagePipelineTests(TestServers servers) : IAsyncLifetime
{
    private readonly string dataDirectory = NewDataDirectory();
    private GatewayApiHost api = null!;

    private string Database => api.Services.GetRequiredConnectionString();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IUsageRecorder Recorder => api.Services.GetRequiredService<IUsageRecorder>();

    public async ValueTask InitializeAsync() =>
        api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(), Settings(dataDirectory));

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        DeleteDirectory(dataDirectory);
    }

    [Fact]
    public async Task AThousandEventsRecordedConcurrentlyLandExactlyOnceAndKeyAndTeamSpendEqualTheirSums()
    {
        var keyHash = HashOf("sk-thousand");
        await SeedTeamAndKeyAsync(api.Services, "team-thousand", keyHash);
        var events = Enumerable.Range(1, 1000)
            .Select(i => Usage($"req-{i:D4}", "team-thousand", keyHash, spend: 0.00001m * i))
            .ToList();

        await Parallel.ForEachAsync(events, new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (usage, ct) => await Recorder.RecordAsync(usage, ct));
        await WaitForRowsAsync(Database, 1000, TimeSpan.FromSeconds(60));

        Assert.Equal(1000L, await ScalarAsync<long>(Database, "SELECT count(DISTINCT request_id) FROM spend_logs"));
        var expected = events.Sum(e => e.Spend);
        Assert.Equal(expected, await ScalarAsync<decimal>(Database, "SELECT sum(spend) FROM spend_logs"));
        Assert.Equal(expected, await ScalarAsync<decimal>(Database, "SELECT spend FROM virtual_keys WHERE token = @t", ("t", keyHash)));
        Assert.Equal(expected, await ScalarAsync<decimal>(Database, "SELECT spend FROM teams WHERE team_id = 'team-thousand'"));
    }

    [Fact]
    public async Task TheSameEventRecordedTwiceIsOneRowAndItsSpendIsCountedOnce()
    {
        var keyHash = HashOf("sk-twice");
        await SeedTeamAndKeyAsync(api.Services, "team-twice", keyHash);
        var usage = Usage("req-twice", "team-twice", keyHash, spend: 0.25m);

        await Recorder.RecordAsync(usage, Ct);
        await WaitForRowsAsync(Database, 1, TimeSpan.FromSeconds(30));
        await Recorder.RecordAsync(usage with { }, Ct);
        await Recorder.RecordAsync(Usage("req-marker", "team-twice", keyHash, spend: 0m), Ct);
        await WaitForRowsAsync(Database, 2, TimeSpan.FromSeconds(30));

        Assert.Equal(1L, await ScalarAsync<long>(Database, "SELECT count(*) FROM spend_logs WHERE request_id = 'req-twice'"));
        Assert.Equal(0.25m, await ScalarAsync<decimal>(Database, "SELECT spend FROM teams WHERE team_id = 'team-twice'"));
        Assert.Equal(0.25m, await ScalarAsync<decimal>(Database, "SELECT spend FROM virtual_keys WHERE token = @t", ("t", keyHash)));
    }

    [Fact]
    public async Task EveryUsageFieldIsKeptInTheLedger()
    {
        var usage = Usage("req-fields", "team-fields", HashOf("sk-fields"), spend: 0.5m) with
        {
            KeyAlias = "alias",
            User = "user-1",
            EndUser = "end-1",
            Tags = ["a", "b"],
            DeploymentId = "dep-1",
            CachedTokens = 3,
            ReasoningTokens = 2,
            PriceUnknown = true,
            SavedCost = 0.1m,
            AuthMs = 1.5,
        };
        await Recorder.RecordAsync(usage, Ct);
        await WaitForRowsAsync(Database, 1, TimeSpan.FromSeconds(30));

        Assert.Equal("alias|user-1|end-1|{a,b}|dep-1|3|2|t|0.10000000|1.5|15|test", await ScalarAsync<string>(Database, """
            SELECT concat_ws('|', key_alias, "user", end_user, request_tags::text, deployment_id, cached_tokens, reasoning_tokens,
                price_unknown, saved_cost, auth_ms, total_tokens, metadata->>'source') FROM spend_logs
            """));
    }
}

public sealed class CrashedReplicaTests(TestServers servers)
{
    [Fact]
    public async Task EntriesADeadConsumerReadButNeverAckedAreClaimedAndWrittenByTheWriter()
    {
        var redisConnection = await servers.CreateRedisAsync();
        var dataDirectory = NewDataDirectory();
        using (var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection))
        {
            var db = await FillUsageStreamAsync(redis, "req-dead-", 20);
            var read = await db.StreamReadGroupAsync("llmgateway:usage", "ledger", "dead", ">", 100);
            Assert.Equal(20, read.Length);
        }

        await using var api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), redisConnection,
            Settings(dataDirectory, ("Gateway:Spend:ClaimIdleTime", "00:00:01"), ("Gateway:Spend:ClaimInterval", "00:00:00.200")));
        var database = api.Services.GetRequiredConnectionString();

        await WaitForRowsAsync(database, 20, TimeSpan.FromSeconds(30));
        using var check = await ConnectionMultiplexer.ConnectAsync(redisConnection);
        await LocalProcess.WaitUntilAsync(
            async () => (await check.GetDatabase().StreamPendingAsync("llmgateway:usage", "ledger")).PendingMessageCount == 0,
            TimeSpan.FromSeconds(10), "the claimed entries' acknowledgement");
        Assert.Equal(20L, await CountRowsAsync(database));
    }
}

public sealed class LedgerTrickleTests(TestServers servers) : IAsyncLifetime
{
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(300);
    private readonly string dataDirectory = NewDataDirectory();
    private GatewayApiHost api = null!;

    public async ValueTask InitializeAsync() => api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(),
        await servers.CreateRedisAsync(), Settings(dataDirectory, ("Gateway:Spend:BatchLinger", Linger.ToString())));

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        DeleteDirectory(dataDirectory);
    }

    [Fact]
    public async Task AtALowSteadyRateEventsAreWrittenABatchAtATimeNotATransactionPerFewEvents()
    {
        var database = api.Services.GetRequiredConnectionString();
        var recorder = api.Services.GetRequiredService<IUsageRecorder>();

        // A trickle: one event every few milliseconds, as one sequential client makes. Without the linger the writer read and
        // wrote what had come since its last write (checked: 4 and 6 transactions for these 40 events, above the bound below).
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < 40; i++)
        {
            await recorder.RecordAsync(Usage($"req-trickle-{i:D2}"), TestContext.Current.CancellationToken);
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        await WaitForRowsAsync(database, 40, TimeSpan.FromSeconds(30));

        // Rows one transaction wrote share its xmin. After each partial batch the writer waits the linger, so the trickle
        // took at most one transaction per linger it lasted, plus the first and the one after it.
        var transactions = await ScalarAsync<long>(database, "SELECT count(DISTINCT xmin::text) FROM spend_logs");
        Assert.InRange(transactions, 1, (long)(elapsed / Linger) + 2);
    }
}

public sealed class LedgerBacklogTests(TestServers servers)
{
    [Fact]
    public async Task ABacklogIsWrittenInGrowingBatchesNotATransactionPerBatchSize()
    {
        // 3,000 events waiting before the writer starts (as after a Postgres pause): reads of 500, 1,000 and 2,000 (which finds
        // the last 1,500) — three transactions where one per BatchSize made six (checked by reverting the growth).
        var redisConnection = await servers.CreateRedisAsync();
        var dataDirectory = NewDataDirectory();
        using (var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection))
        {
            await FillUsageStreamAsync(redis, "req-backlog-", 3000);
        }

        var api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), redisConnection,
            Settings(dataDirectory, ("Gateway:Spend:BatchSize", "500")));
        try
        {
            var database = api.Services.GetRequiredConnectionString();
            await WaitForRowsAsync(database, 3000, TimeSpan.FromSeconds(60));

            Assert.Equal(3000L, await CountRowsAsync(database));
            Assert.Equal(3L, await ScalarAsync<long>(database, "SELECT count(DISTINCT xmin::text) FROM spend_logs"));
        }
        finally
        {
            await api.DisposeAsync(); // stopped before its data folder goes
            DeleteDirectory(dataDirectory);
        }
    }
}
