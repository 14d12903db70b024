using System.Text.RegularExpressions;
using LlmGateway.Api.Limits;
using LlmGateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace LlmGateway.Tests.Limits;

/// <summary>
/// The coalescing of admissions per slot against a real Redis, held busy by freezing it (SIGSTOP): a lone admission is
/// sent at once; those arriving while one is in flight go together as the next script call; a cancelled one is never
/// sent; a failure fails the batch and those queued behind it.
/// </summary>
public sealed partial class ScriptBatcherTests : IAsyncLifetime
{
    private RedisServer server = null!;
    private ConnectionMultiplexer redis = null!;
    private ScriptBatcher batcher = null!;
    private IDatabase Db => redis.GetDatabase();

    public async ValueTask InitializeAsync()
    {
        server = await TestServers.StartOwnRedisAsync();
        // A frozen Redis times calls out after asyncTimeout: long here, so the tests decide when it answers.
        redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},asyncTimeout=20000,syncTimeout=20000");
        batcher = new ScriptBatcher(redis);
        foreach (var script in new[] { LimitScripts.Admit, LimitScripts.AdmitBatch, LimitScripts.Settle, LimitScripts.SettleThenAdmit })
        {
            await Db.ExecuteAsync("SCRIPT", "LOAD", script.Text);
        }

        await Db.StringSetAsync("{t:team}:team:spent", 0);
    }

    public async ValueTask DisposeAsync()
    {
        await server.ThawAsync();
        await redis.DisposeAsync();
        await server.DisposeAsync();
    }

    private static readonly RedisKey[] TeamKeys =
        [.. new[] { "rpm", "tpm", "par", "spent", "reserved", "holds" }.Select(k => (RedisKey)$"{{t:team}}:team:{k}")];

    /// <summary>One admission of $10 (in nanos, scaled down) against the team's budget of 300 and its rpm of 1000.</summary>
    private Task<RedisResult> AdmitAsync(string id, CancellationTokenSource? cancel = null) =>
        batcher.AdmitAsync("t:team", TeamKeys, [id, 1, 1, 10, 60_000, 60_000, 1000, -1, -1, 300, 3_600_000], cancel?.Token ?? TestContext.Current.CancellationToken);

    private static int Code(RedisResult result) => (int)((RedisResult[])result!)[0];

    /// <summary>How many script calls Redis ran (EVALSHA and EVAL, <c>INFO commandstats</c>).</summary>
    private async Task<long> ScriptCallsInRedisAsync()
    {
        var info = (string)(await Db.ExecuteAsync("INFO", "commandstats"))!;
        return CallsOf().Matches(info).Sum(m => long.Parse(m.Groups[1].Value));
    }

    [GeneratedRegex(@"cmdstat_eval(?:sha)?:calls=(\d+)")]
    private static partial Regex CallsOf();

    [Fact]
    public async Task ALoneAdmissionIsSentAtOnceWithoutWaiting()
    {
        var before = await ScriptCallsInRedisAsync();

        var admission = AdmitAsync("alone");

        Assert.Equal(1, batcher.ScriptCalls); // sent by the call itself: nothing waits for a timer or another caller
        Assert.Equal(1, Code(await admission));
        Assert.Equal(before + 1, await ScriptCallsInRedisAsync());
    }

    [Fact]
    public async Task AdmissionsArrivingWhileOneIsInFlightGoTogetherInOneScriptCallAndStayExact()
    {
        var before = await ScriptCallsInRedisAsync();
        await server.FreezeAsync();
        var admissions = Enumerable.Range(0, 1 + ScriptBatcher.MaxBatch).Select(i => AdmitAsync($"r{i}")).ToList();
        Assert.Equal(1, batcher.ScriptCalls); // the first is in flight; 64 wait for it
        await server.ThawAsync();

        var results = await Task.WhenAll(admissions);

        Assert.Equal(2, batcher.ScriptCalls);
        Assert.Equal(before + 2, await ScriptCallsInRedisAsync());
        // $300 of budget at $10 each: exactly 30 admitted, the first 30 in order, and 300 reserved.
        Assert.Equal(Enumerable.Repeat(1, 30).Concat(Enumerable.Repeat(0, 35)), results.Select(Code));
        Assert.All(results.Skip(30), r => Assert.Equal("budget", ((RedisResult[])r!)[2].ToString()));
        Assert.Equal(300, (long)await Db.StringGetAsync(TeamKeys[4]));
        Assert.Equal(30, await Db.SortedSetLengthAsync(TeamKeys[5]));
        Assert.Equal(-30, await Db.SortedSetScoreAsync(TeamKeys[0], "#")); // the requests in the rpm window
        Assert.Equal(3, await Db.SortedSetLengthAsync(TeamKeys[0])); // one entry per call (the first alone, then the batch) and the count
    }

    [Fact]
    public async Task AnAdmissionCancelledWhileQueuedIsNeverSent()
    {
        await server.FreezeAsync();
        var first = AdmitAsync("first");
        using var cancel = new CancellationTokenSource();
        var queued = AdmitAsync("queued", cancel);

        await cancel.CancelAsync();

        Assert.True(queued.IsCanceled);
        await server.ThawAsync();
        Assert.Equal(1, Code(await first));
        Assert.Equal(1, Code(await AdmitAsync("after"))); // the slot is free again: sent alone
        Assert.Equal(2, batcher.ScriptCalls);
        Assert.Equal(["#", "1:after", "1:first"], (await Db.SortedSetRangeByRankAsync(TeamKeys[0])).Select(v => v.ToString()).Order());
        Assert.Equal(-2, await Db.SortedSetScoreAsync(TeamKeys[0], "#"));
    }

    [Fact]
    public async Task ARedisFailureFailsTheBatchInFlightAndTheAdmissionsQueuedBehindIt()
    {
        await using var impatient = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},asyncTimeout=500,syncTimeout=500");
        var failing = new ScriptBatcher(impatient);
        await server.FreezeAsync();
        var first = failing.AdmitAsync("t:team", TeamKeys, ["f1", 1, 1, 10, 60_000, 60_000, 1000, -1, -1, 300, 3_600_000], TestContext.Current.CancellationToken);
        var queued = failing.AdmitAsync("t:team", TeamKeys, ["f2", 1, 1, 10, 60_000, 60_000, 1000, -1, -1, 300, 3_600_000], TestContext.Current.CancellationToken);

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => first);
        var queuedFailure = await Assert.ThrowsAnyAsync<Exception>(() => queued);

        Assert.True(Api.RedisFailures.IsTransient(failure), failure.GetType().Name);
        Assert.Same(failure, queuedFailure); // failed with the batch, not sent to wait for a timeout of its own
        Assert.Equal(1, failing.ScriptCalls);
    }
}
