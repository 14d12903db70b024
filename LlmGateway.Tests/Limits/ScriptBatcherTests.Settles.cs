using LlmGateway.Api.Limits;
using StackExchange.Redis;

namespace LlmGateway.Tests.Limits;

/// <summary>
/// Settles wait for their slot's next call (<see cref="LimitsOptions.SettleLinger"/>): the next admission carries them,
/// settled first; alone, they go when the linger runs out, or at once when a spend is read.
/// </summary>
public sealed partial class ScriptBatcherTests
{
    /// <summary>$10 reserved against the team's budget of 300, with at most <paramref name="parallel"/> requests at once.</summary>
    private static RedisValue[] Admission(string id, long parallel = -1) => [id, 1, 1, 10, 60_000, 60_000, 1000, -1, parallel, 300, 3_600_000];

    /// <summary>The settle of <see cref="Admission"/>: it cost <paramref name="cost"/>.</summary>
    private static RedisValue[] Settlement(string id, RedisResult admitted, long cost, bool parallel = false) =>
        [id, 1, 1, 1, ((RedisResult[])admitted!)[1].ToString(), cost, 10, "0", parallel ? "1" : "0", "1"];

    private async Task<(long Spent, long Reserved)> BudgetAsync() =>
        ((long)await Db.StringGetAsync(TeamKeys[3]), (long)await Db.StringGetAsync(TeamKeys[4]));

    [Fact]
    public async Task ASettleWaitsForItsSlotsNextAdmissionWhichSettlesItFirst()
    {
        var ct = TestContext.Current.CancellationToken;
        var lingering = new ScriptBatcher(redis, settleLinger: TimeSpan.FromHours(1));
        var first = await lingering.AdmitAsync("t:team", TeamKeys, Admission("a", parallel: 1), ct);
        Assert.Equal(1, Code(first));

        var settle = lingering.SettleAsync("t:team", TeamKeys, Settlement("a", first, cost: 7, parallel: true));

        Assert.False(settle.IsCompleted);
        Assert.Equal(1, lingering.ScriptCalls);
        Assert.Equal((0, 10), await BudgetAsync()); // meanwhile the reservation, at least the cost, stays counted
        // One request at a time: "b" is admitted because the same call gave back a's lease before deciding it.
        Assert.Equal(1, Code(await lingering.AdmitAsync("t:team", TeamKeys, Admission("b", parallel: 1), ct)));
        Assert.Equal(2, lingering.ScriptCalls);
        Assert.Equal("7", string.Join(",", (RedisResult[])(await settle)!));
        Assert.Equal((7, 10), await BudgetAsync());
        Assert.Equal(["b"], (await Db.SortedSetRangeByRankAsync(TeamKeys[2])).Select(v => v.ToString()));
    }

    [Fact]
    public async Task ALoneSettleIsSentWhenTheLingerRunsOut()
    {
        var lingering = new ScriptBatcher(redis, settleLinger: TimeSpan.FromMilliseconds(50));
        var admitted = await lingering.AdmitAsync("t:team", TeamKeys, Admission("a"), TestContext.Current.CancellationToken);

        await lingering.SettleAsync("t:team", TeamKeys, Settlement("a", admitted, cost: 7));

        Assert.Equal(2, lingering.ScriptCalls);
        Assert.Equal((7, 0), await BudgetAsync());
    }

    [Fact]
    public async Task FlushingSendsTheWaitingSettlesAtOnce()
    {
        var lingering = new ScriptBatcher(redis, settleLinger: TimeSpan.FromHours(1));
        var admitted = await lingering.AdmitAsync("t:team", TeamKeys, Admission("a"), TestContext.Current.CancellationToken);
        var settle = lingering.SettleAsync("t:team", TeamKeys, Settlement("a", admitted, cost: 7));

        await lingering.FlushSettlesAsync();

        Assert.True(settle.IsCompletedSuccessfully);
        Assert.Equal((7, 0), await BudgetAsync());
    }
}
