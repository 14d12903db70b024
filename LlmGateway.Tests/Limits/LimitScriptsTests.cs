using LlmGateway.Api.Limits;
using LlmGateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace LlmGateway.Tests.Limits;

/// <summary>admit.lua and settle.lua evaluated directly against a real Redis: the arithmetic the budgets rest on.</summary>
public sealed class LimitScriptsTests(TestServers servers) : IAsyncLifetime
{
    private ConnectionMultiplexer redis = null!;
    private IDatabase Db => redis.GetDatabase();

    public async ValueTask InitializeAsync()
    {
        var options = ConfigurationOptions.Parse(await servers.CreateRedisAsync());
        options.AllowAdmin = true; // SCRIPT FLUSH
        redis = await ConnectionMultiplexer.ConnectAsync(options);
    }

    public async ValueTask DisposeAsync() => await redis.DisposeAsync();

    private static RedisKey[] Keys(string scope) =>
        [.. new[] { "rpm", "tpm", "par", "spent", "reserved", "holds" }.Select(k => (RedisKey)$"t:{{{scope}}}:{k}")];

    /// <summary>One scope: rpm, tpm, parallel, budget (nanos); -1 = none.</summary>
    private Task<RedisResult[]> AdmitAsync(string scope, string id, long rpm = -1, long tpm = -1, long parallel = -1, long budget = -1,
        long cost = 0, long tokens = 0, long lease = 60_000, long hold = 60_000) =>
        EvalAsync(LimitScripts.Admit, Keys(scope), [id, 1, tokens, cost, lease, hold, rpm, tpm, parallel, budget, 3_600_000]);

    private Task<RedisResult[]> SettleAsync(string scope, string id, string bucket, long cost, long estimate = 0, long actual = 0,
        bool tpm = false, bool parallel = false, bool budget = true, long reserved = 0) =>
        EvalAsync(LimitScripts.Settle, Keys(scope), [id, 1, estimate, actual, bucket, cost, reserved, tpm ? "1" : "0", parallel ? "1" : "0", budget ? "1" : "0"]);

    private async Task<RedisResult[]> EvalAsync(RedisScript script, RedisKey[] keys, RedisValue[] values) =>
        (RedisResult[])(await script.EvaluateAsync(Db, keys, values))!;

    [Fact]
    public async Task AScriptTheServerForgotIsLoadedAgainAndEvaluatedOnce()
    {
        Assert.Equal(1, (int)(await AdmitAsync("flush", "r1", rpm: 5))[0]);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        await server.ScriptFlushAsync();
        Assert.False(await server.ScriptExistsAsync(LimitScripts.Admit.Text));

        var again = await AdmitAsync("flush", "r2", rpm: 5);

        Assert.Equal(1, (int)again[0]);
        Assert.Equal(3, (long)again[2]);   // 5 - two admitted - this one: counted once, not twice by a retry
        Assert.True(await server.ScriptExistsAsync(LimitScripts.Admit.Text));
    }

    [Fact]
    public async Task AMissingBudgetCounterAsksToBeSeededAndWritesNothing()
    {
        var result = await AdmitAsync("seed", "r1", rpm: 10, budget: 100, cost: 10);
        Assert.Equal(-1, (int)result[0]);
        Assert.False(await Db.KeyExistsAsync(Keys("seed")[0]));
    }

    [Fact]
    public async Task ReservationsStopAdmissionAtTheBudgetAndSettleToTheActualCostOnce()
    {
        await Db.StringSetAsync(Keys("budget")[3], 0);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, (int)(await AdmitAsync("budget", $"r{i}", budget: 100, cost: 30))[0]);
        }

        var rejected = await AdmitAsync("budget", "r3", budget: 100, cost: 30);
        Assert.Equal(0, (int)rejected[0]);
        Assert.Equal("budget", rejected[2].ToString());
        Assert.Equal(90, (long)await Db.StringGetAsync(Keys("budget")[4]));

        await SettleAsync("budget", "r0", "0", cost: 10, reserved: 30);
        await SettleAsync("budget", "r0", "0", cost: 10, reserved: 30); // replayed: counted once
        Assert.Equal(10, (long)await Db.StringGetAsync(Keys("budget")[3]));
        Assert.Equal(60, (long)await Db.StringGetAsync(Keys("budget")[4]));
        Assert.Equal(1, (int)(await AdmitAsync("budget", "r4", budget: 100, cost: 30))[0]);
    }

    [Fact]
    public async Task AReservationThatIsNeverSettledExpiresAndFreesTheBudget()
    {
        await Db.StringSetAsync(Keys("leak")[3], 0);
        Assert.Equal(1, (int)(await AdmitAsync("leak", "crashed", budget: 50, cost: 50, hold: 100))[0]);
        Assert.Equal(0, (int)(await AdmitAsync("leak", "blocked", budget: 50, cost: 50, hold: 100))[0]);

        await Task.Delay(250, TestContext.Current.CancellationToken);

        Assert.Equal(1, (int)(await AdmitAsync("leak", "after", budget: 50, cost: 50))[0]);
        Assert.Equal(50, (long)await Db.StringGetAsync(Keys("leak")[4]));
    }

    [Fact]
    public async Task ALapsedReservationOfALargeAmountIsReleasedExactly()
    {
        const long large = 500_000_000_000_000; // $500,000 in nanos: Lua would print the number as 5e+14
        const long budget = large + 5;
        await Db.StringSetAsync(Keys("large")[3], 0);
        Assert.Equal(1, (int)(await AdmitAsync("large", "crashed", budget: budget, cost: large, hold: 100))[0]);

        await Task.Delay(250, TestContext.Current.CancellationToken);

        Assert.Equal(1, (int)(await AdmitAsync("large", "after", budget: budget, cost: 6))[0]);
        Assert.Equal(6, (long)await Db.StringGetAsync(Keys("large")[4]));
        Assert.Equal(1, await Db.SortedSetLengthAsync(Keys("large")[5]));
    }

    [Fact]
    public async Task EveryCounterAnAdmissionCreatesExpires()
    {
        await Db.StringSetAsync(Keys("ttl")[3], 0);
        var admitted = await AdmitAsync("ttl", "r1", rpm: 10, tpm: 1000, parallel: 5, budget: 1000, cost: 10, tokens: 50);
        await SettleAsync("ttl", "r1", admitted[1].ToString(), cost: 5, estimate: 50, actual: 20, tpm: true, parallel: true, reserved: 10);
        Assert.Equal(1, (int)(await AdmitAsync("ttl", "r2", rpm: 10, tpm: 1000, parallel: 5, budget: 1000, cost: 10, tokens: 50))[0]);

        foreach (var key in Keys("ttl"))
        {
            Assert.True(await Db.KeyExistsAsync(key), $"{key} exists");
            Assert.NotNull(await Db.KeyTimeToLiveAsync(key));
        }

        Assert.Equal(5, (long)await Db.StringGetAsync(Keys("ttl")[3]));
        Assert.Equal(10, (long)await Db.StringGetAsync(Keys("ttl")[4]));
    }

    [Fact]
    public async Task RequestsPerMinuteAdmitExactlyTheLimitAndSayWhenToRetry()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, (int)(await AdmitAsync("rpm", $"r{i}", rpm: 3))[0]);
        }

        var rejected = await AdmitAsync("rpm", "r3", rpm: 3);
        Assert.Equal(0, (int)rejected[0]);
        Assert.Equal("requests", rejected[2].ToString());
        Assert.InRange((long)rejected[5], 1, 60_000);
    }

    [Fact]
    public async Task RequestsOfTheFormerOneEntryPerRequestWindowAreCounted()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Db.SortedSetAddAsync(Keys("legacy")[0], [new("a1b2", now - 70_000), new("c3d4", now - 2_000), new("e5f6", now - 1_000)]);

        Assert.Equal(1, (int)(await AdmitAsync("legacy", "r1", rpm: 4))[0]); // two left in the window, one expired
        Assert.Equal(0, (int)(await AdmitAsync("legacy", "r2", rpm: 3))[0]);

        Assert.Equal(-3, await Db.SortedSetScoreAsync(Keys("legacy")[0], "#"));
        Assert.Equal(4, await Db.SortedSetLengthAsync(Keys("legacy")[0])); // c3d4, e5f6, 1:r1 and the count
    }

    [Fact]
    public async Task EntriesThatLeftTheWindowAreTakenOffItsCount()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Db.SortedSetAddAsync(Keys("slide")[0], [new("#", -7), new("5:old", now - 61_000), new("2:recent", now - 1_000)]);

        Assert.Equal(1, (int)(await AdmitAsync("slide", "r1", rpm: 3))[0]);
        var refused = await AdmitAsync("slide", "r2", rpm: 3);

        Assert.Equal(0, (int)refused[0]);
        Assert.Equal(3, (long)refused[4]);
        Assert.InRange((long)refused[5], 55_000, 60_000); // when 2:recent leaves
        Assert.Equal(-3, await Db.SortedSetScoreAsync(Keys("slide")[0], "#"));
    }

    [Fact]
    public async Task ALongBacklogOfExpiredEntriesIsTakenOffBeforeItRefuses()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Db.SortedSetAddAsync(Keys("backlog")[0],
            [new("#", -600), .. Enumerable.Range(0, 600).Select(i => new SortedSetEntry($"1:old{i}", now - 120_000 + i))]);

        Assert.Equal(1, (int)(await AdmitAsync("backlog", "r1", rpm: 10))[0]);

        Assert.Equal(-1, await Db.SortedSetScoreAsync(Keys("backlog")[0], "#"));
        Assert.Equal(2, await Db.SortedSetLengthAsync(Keys("backlog")[0]));
    }

    [Fact]
    public async Task AnAdmissionExpiresABoundedPartOfABacklogAndCountsTheRestUntilItIsGone()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Db.SortedSetAddAsync(Keys("bounded")[0],
            [new("#", -600), .. Enumerable.Range(0, 600).Select(i => new SortedSetEntry($"1:old{i}", now - 120_000 + i))]);

        var counts = new List<double?>();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1, (int)(await AdmitAsync("bounded", $"r{i}", rpm: 10_000))[0]);
            counts.Add(-await Db.SortedSetScoreAsync(Keys("bounded")[0], "#"));
        }

        // Never below the truth while expired entries are left (255 go per admission), exact once they are gone.
        Assert.Equal([346, 92, 3], counts);
        Assert.Equal(4, await Db.SortedSetLengthAsync(Keys("bounded")[0]));
    }

    [Fact]
    public async Task TokensPerMinuteReserveTheEstimateAndSettleToTheActual()
    {
        var first = await AdmitAsync("tpm", "r1", tpm: 100, tokens: 80);
        Assert.Equal(1, (int)first[0]);
        Assert.Equal(0, (int)(await AdmitAsync("tpm", "r2", tpm: 100, tokens: 30))[0]);

        await SettleAsync("tpm", "r1", first[1].ToString(), cost: 0, estimate: 80, actual: 20, tpm: true, budget: false);

        Assert.Equal(1, (int)(await AdmitAsync("tpm", "r2", tpm: 100, tokens: 30))[0]);
    }

    [Fact]
    public async Task AReplayedSettleCorrectsTheTokenCountOnce()
    {
        await Db.StringSetAsync(Keys("replay")[3], 0);
        var first = await AdmitAsync("replay", "r1", tpm: 100, budget: 1_000, cost: 10, tokens: 80);
        Assert.Equal(1, (int)first[0]);

        // The settle ran, its reply was lost, and the outage queue sends it again: 80 estimated, 20 used.
        await SettleAsync("replay", "r1", first[1].ToString(), cost: 4, estimate: 80, actual: 20, tpm: true, reserved: 10);
        await SettleAsync("replay", "r1", first[1].ToString(), cost: 4, estimate: 80, actual: 20, tpm: true, reserved: 10);

        Assert.Equal(20, (long)await Db.HashGetAsync(Keys("replay")[1], first[1].ToString()));
        Assert.Equal(0, (int)(await AdmitAsync("replay", "r2", tpm: 100, budget: 1_000, cost: 10, tokens: 90))[0]); // 20 + 90 > 100
        Assert.Equal(4, (long)await Db.StringGetAsync(Keys("replay")[3]));
    }

    [Fact]
    public async Task ParallelLeasesAreReleasedBySettle()
    {
        Assert.Equal(1, (int)(await AdmitAsync("par", "r1", parallel: 1))[0]);
        Assert.Equal("max_parallel_requests", (await AdmitAsync("par", "r2", parallel: 1))[2].ToString());

        await SettleAsync("par", "r1", "0", cost: 0, parallel: true, budget: false);

        Assert.Equal(1, (int)(await AdmitAsync("par", "r2", parallel: 1))[0]);
    }

    [Fact]
    public async Task NothingIsWrittenWhenALaterScopeRejects()
    {
        var keys = Keys("first").Concat(Keys("second")).ToArray();
        var result = await EvalAsync(LimitScripts.Admit, keys,
            ["r1", 2, 0, 0, 60_000, 60_000, 10, -1, -1, -1, 3_600_000, 0, -1, -1, -1, 3_600_000]);

        Assert.Equal(0, (int)result[0]);
        Assert.Equal(1, (int)result[1]);
        Assert.Equal(0, await Db.SortedSetLengthAsync(Keys("first")[0]));
    }
}
