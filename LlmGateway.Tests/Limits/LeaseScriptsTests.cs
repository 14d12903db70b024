using LlmGateway.Api.Limits;
using LlmGateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace LlmGateway.Tests.Limits;

/// <summary>
/// lease.lua against a real Redis: a lease's admissions are counted in every counter when granted, a refusal in a
/// leased scope says when the lease ends, and a return gives back exactly what was not used.
/// </summary>
public sealed class LeaseScriptsTests(TestServers servers) : IAsyncLifetime
{
    private ConnectionMultiplexer redis = null!;
    private IDatabase Db => redis.GetDatabase();

    public async ValueTask InitializeAsync() => redis = await ConnectionMultiplexer.ConnectAsync(await servers.CreateRedisAsync());

    public async ValueTask DisposeAsync() => await redis.DisposeAsync();

    private static RedisKey[] Keys(string scope) =>
        [.. new[] { "rpm", "tpm", "par", "spent", "reserved", "holds" }.Select(k => (RedisKey)$"t:{{{scope}}}:{k}")];

    private Task<RedisResult[]> GrantAsync(string scope, string id, int want, long life = 5_000, long rpm = -1, long tpm = -1, long parallel = -1,
        long budget = -1, long cost = 0, long tokens = 0) =>
        EvalAsync(LimitScripts.LeaseGrant, Keys(scope), [id, 1, tokens, cost, 60_000, 3_600_000, rpm, tpm, parallel, budget, 3_600_000, want, life]);

    private Task<RedisResult[]> AdmitAsync(string scope, string id, long rpm = -1, long tpm = -1, long budget = -1, long cost = 0, long tokens = 0) =>
        EvalAsync(LimitScripts.Admit, Keys(scope), [id, 1, tokens, cost, 60_000, 3_600_000, rpm, tpm, -1, budget, 3_600_000]);

    private Task<RedisResult[]> SettleAsync(string scope, string id, string bucket, long cost, long reserved, long estimate, long actual,
        bool tpm, bool budget) =>
        EvalAsync(LimitScripts.Settle, Keys(scope), [id, 1, estimate, actual, bucket, cost, reserved, tpm ? "1" : "0", "0", budget ? "1" : "0"]);

    private async Task<long> ReturnAsync(string scope, string id, string bucket, long reserved, long estimate, int granted, int used, bool tpm,
        bool budget) =>
        (long)(await LimitScripts.LeaseReturn.EvaluateAsync(Db, Keys(scope),
            [id, 1, estimate, 0, bucket, 0, reserved, tpm ? "1" : "0", "0", budget ? "1" : "0", granted, used, 5_000]));

    private async Task<RedisResult[]> EvalAsync(RedisScript script, RedisKey[] keys, RedisValue[] values) =>
        (RedisResult[])(await script.EvaluateAsync(Db, keys, values))!;

    private async Task<long> RedisNowAsync()
    {
        var time = (RedisResult[])(await Db.ExecuteAsync("TIME"))!;
        return (long)time[0] * 1000 + (long)time[1] / 1000;
    }

    private async Task<long> TokensOfAsync(string scope, string bucket) => (long)await Db.HashGetAsync(Keys(scope)[1], bucket);

    [Fact]
    public async Task ALeaseIsCountedInEveryCounterWhenGrantedAndItsUnusedAdmissionsAreGivenBackExactly()
    {
        var keys = Keys("grant");
        await Db.StringSetAsync(keys[3], 0);

        var lease = await GrantAsync("grant", "L1", want: 8, rpm: 1000, tpm: 100_000, budget: 10_000, cost: 100, tokens: 50);

        Assert.Equal(8, (int)lease[0]);
        var bucket = lease[1].ToString();
        Assert.Equal(1000 - 8, (long)lease[2]);
        Assert.Equal(100_000 - 400, (long)lease[3]);
        Assert.Equal(800, (long)lease[4]);                                // spent + reserved after the grant
        Assert.Equal(800, (long)await Db.StringGetAsync(keys[4]));
        Assert.Equal(8, await Db.SortedSetLengthAsync(keys[5]));          // one reservation per admission: each settles alone
        Assert.Equal(400, await TokensOfAsync("grant", bucket));
        var entry = await Db.SortedSetScoreAsync(keys[0], "8:L1#1");
        Assert.True(entry > (long)lease[^1], "the lease's rpm entry is scored at its end");

        // Three used: two settled at their actual cost and tokens, one still in flight.
        Assert.Equal(10, (long)(await SettleAsync("grant", "L1#1", bucket, cost: 10, reserved: 100, estimate: 50, actual: 20, tpm: true, budget: true))[0]);
        await SettleAsync("grant", "L1#2", bucket, cost: 30, reserved: 100, estimate: 50, actual: 40, tpm: true, budget: true);

        Assert.Equal(5, await ReturnAsync("grant", "L1", bucket, reserved: 100, estimate: 50, granted: 8, used: 3, tpm: true, budget: true));

        Assert.Equal(40, (long)await Db.StringGetAsync(keys[3]));
        Assert.Equal(100, (long)await Db.StringGetAsync(keys[4]));        // the one in flight stays reserved
        Assert.Equal(20 + 40 + 50, await TokensOfAsync("grant", bucket));  // its estimate too
        Assert.Null(await Db.SortedSetScoreAsync(keys[0], "8:L1#1"));
        Assert.NotNull(await Db.SortedSetScoreAsync(keys[0], "3:L1#1!"));  // the used ones stay in the window, marked returned

        // A second return gives back nothing more.
        await ReturnAsync("grant", "L1", bucket, reserved: 100, estimate: 50, granted: 8, used: 3, tpm: true, budget: true);
        Assert.Equal(100, (long)await Db.StringGetAsync(keys[4]));
        Assert.Equal(110, await TokensOfAsync("grant", bucket));

        // The window counts the three used, no more: 997 admissions left of 1000.
        for (var i = 0; i < 997; i++)
        {
            Assert.Equal(1, (int)(await AdmitAsync("grant", $"r{i}", rpm: 1000))[0]);
        }

        Assert.Equal(0, (int)(await AdmitAsync("grant", "over", rpm: 1000))[0]);
    }

    [Fact]
    public async Task ARefusalInALeasedScopeSaysWhenTheLeaseEndsAndNoMoreOnceItIsGivenBack()
    {
        var keys = Keys("wait");
        await Db.StringSetAsync(keys[3], 0);
        var lease = await GrantAsync("wait", "L1", want: 2, life: 2_000, budget: 1_000, cost: 100);
        Assert.Equal(2, (int)lease[0]);
        await Db.StringSetAsync(keys[3], 850); // spent elsewhere meanwhile: 850 + 200 reserved

        var refused = await AdmitAsync("wait", "r1", budget: 1_000, cost: 100);
        Assert.Equal(0, (int)refused[0]);
        Assert.Equal("budget", refused[2].ToString());
        Assert.InRange((long)refused[6], 1, 2_000); // a scope without an rpm limit carries the lease's entry too

        await ReturnAsync("wait", "L1", lease[1].ToString(), reserved: 100, estimate: 0, granted: 2, used: 0, tpm: false, budget: true);

        Assert.Equal(1, (int)(await AdmitAsync("wait", "r1", budget: 1_000, cost: 100))[0]);
        var refusedAgain = await AdmitAsync("wait", "r2", budget: 1_000, cost: 100);
        Assert.Equal(0, (int)refusedAgain[0]);
        Assert.Equal(0, (long)refusedAgain[6]);
    }

    [Fact]
    public async Task ALeasePastItsEndIsWaitedForUntilItsLateReturnComesAndNotAfter()
    {
        var keys = Keys("late");
        await Db.StringSetAsync(keys[3], 0);
        var lease = await GrantAsync("late", "L1", want: 2, life: 100, budget: 1_000, cost: 100);
        Assert.Equal(2, (int)lease[0]);
        await Db.StringSetAsync(keys[3], 750); // spent elsewhere meanwhile: 750 + 200 reserved

        // Until its end a refusal says how long; past it (Redis' clock), with no return yet (its replica is late), to look
        // again soon.
        Assert.InRange((long)(await AdmitAsync("late", "r1", budget: 1_000, cost: 100))[6], 1, 100);
        var end = (long)lease[^1] + 100;
        while (await RedisNowAsync() <= end)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        var refused = await AdmitAsync("late", "r1", budget: 1_000, cost: 100);
        Assert.Equal(0, (int)refused[0]);
        Assert.Equal(20, (long)refused[6]);

        // Its late return gives back the admission it did not use: the request is admitted, and a returned lease (its entry
        // now holds the used one, scored now) is waited for no more.
        await ReturnAsync("late", "L1", lease[1].ToString(), reserved: 100, estimate: 0, granted: 2, used: 1, tpm: false, budget: true);
        Assert.Equal(1, (int)(await AdmitAsync("late", "r1", budget: 1_000, cost: 100))[0]);
        var refusedAgain = await AdmitAsync("late", "r2", budget: 1_000, cost: 100);
        Assert.Equal(0, (int)refusedAgain[0]);
        Assert.Equal(0, (long)refusedAgain[6]);
    }

    [Fact]
    public async Task AReturnSentAgainAfterAnOutageGivesBackNothingTwiceNotEvenTokensWithoutABudget()
    {
        var lease = await GrantAsync("again", "L1", want: 4, tpm: 100_000, tokens: 100);
        var bucket = lease[1].ToString();
        Assert.Equal(400, await TokensOfAsync("again", bucket));

        Assert.Equal(3, await ReturnAsync("again", "L1", bucket, reserved: 0, estimate: 100, granted: 4, used: 1, tpm: true, budget: false));
        await ReturnAsync("again", "L1", bucket, reserved: 0, estimate: 100, granted: 4, used: 1, tpm: true, budget: false);

        Assert.Equal(100, await TokensOfAsync("again", bucket)); // the one used: its settle corrects it
    }

    [Fact]
    public async Task AGrantWhoseAnswerWasLostIsGivenBackWholeFromItsOwnEntry()
    {
        var keys = Keys("lost");
        await Db.StringSetAsync(keys[3], 0);
        var lease = await GrantAsync("lost", "L1", want: 6, rpm: 1000, tpm: 100_000, budget: 10_000, cost: 100, tokens: 50);
        Assert.Equal(6, (int)lease[0]);

        // The replica never heard of it: it knows neither how many were granted nor the minute (granted 0, bucket "0").
        Assert.Equal(6, await ReturnAsync("lost", "L1", "0", reserved: 100, estimate: 50, granted: 0, used: 0, tpm: true, budget: true));
        Assert.Equal(0, await ReturnAsync("lost", "L1", "0", reserved: 100, estimate: 50, granted: 0, used: 0, tpm: true, budget: true));
        Assert.Equal(0, await ReturnAsync("none", "L9", "0", reserved: 100, estimate: 50, granted: 0, used: 0, tpm: true, budget: true));

        Assert.Equal(0, (long)await Db.StringGetAsync(keys[4]));
        Assert.Equal(0, await Db.SortedSetLengthAsync(keys[5]));
        Assert.Equal(0, await TokensOfAsync("lost", lease[1].ToString()));
        Assert.Null(await Db.SortedSetScoreAsync(keys[0], "6:L1#1"));
        Assert.Equal(999, (long)(await AdmitAsync("lost", "r1", rpm: 1000))[2]); // the window counts this request alone
    }

    [Theory]
    [InlineData(1000, -1, -1, 16, 16)]       // room: what was asked
    [InlineData(40, -1, -1, 16, 10)]         // rpm 40: a quarter of it
    [InlineData(7, -1, -1, 16, 0)]           // fewer than two: no lease
    [InlineData(-1, 4_000, -1, 16, 10)]      // tpm 4,000 at 100 tokens
    [InlineData(-1, -1, 2_000, 16, 5)]       // $2,000 nanos at 100
    public async Task ALeaseTakesAtMostAQuarterOfWhatIsLeft(long rpm, long tpm, long budget, int want, int granted)
    {
        var scope = $"room-{rpm}-{tpm}-{budget}";
        await Db.StringSetAsync(Keys(scope)[3], 0);

        var lease = await GrantAsync(scope, "L1", want, rpm: rpm, tpm: tpm, budget: budget, cost: 100, tokens: 100);

        Assert.Equal(granted, (int)lease[0]);
        if (granted == 0)
        {
            Assert.False(await Db.KeyExistsAsync(Keys(scope)[0]));
        }
    }

    [Fact]
    public async Task AnAdmissionAfterALeaseKeepsTheRpmWindowUntilTheLeasesEntryLeavesIt()
    {
        var lease = await GrantAsync("ttl", "L1", want: 4, life: 5_000, rpm: 1000);
        var leaseEnds = (long)lease[^1] + 5_000;
        Assert.Equal(1, (int)(await AdmitAsync("ttl", "r1", rpm: 1000))[0]);

        // The window must outlive the lease's entry by a minute, though the admission written after it is scored now.
        var ttl = await Db.KeyTimeToLiveAsync(Keys("ttl")[0]);
        Assert.NotNull(ttl);
        Assert.True(ttl!.Value.TotalMilliseconds >= leaseEnds + 60_000 - (long)lease[^1] - 1_000,
            $"the window lives {ttl.Value.TotalMilliseconds} ms; its lease's entry leaves it {leaseEnds + 60_000 - (long)lease[^1]} ms after the grant");
    }

    [Fact]
    public async Task ALeaseOfRequestsEstimatedAtNoTokensIsBoundByTheOtherLimitsOnly()
    {
        var lease = await GrantAsync("zero", "L1", want: 4, rpm: 1000, tpm: 1_000, tokens: 0);
        Assert.Equal(4, (int)lease[0]);
        Assert.Equal(1_000, (long)lease[3]);
    }

    [Fact]
    public async Task NoLeaseForAParallelLimitAndASeedIsAskedForAMissingBudget()
    {
        Assert.Equal(0, (int)(await GrantAsync("par", "L1", want: 8, parallel: 100))[0]);
        var seed = await GrantAsync("seed", "L1", want: 8, budget: 1_000, cost: 1);
        Assert.Equal(-1, (int)seed[0]);
        Assert.False(await Db.KeyExistsAsync(Keys("seed")[4]));
    }
}
