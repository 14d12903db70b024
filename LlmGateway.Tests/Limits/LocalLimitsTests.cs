using LlmGateway.Api.Limits;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace LlmGateway.Tests.Limits;

/// <summary>
/// The per-replica fallback while Redis times out: its share of a budget is handed out once per outage, not again each
/// time Redis answers in between (a Redis kept slow on purpose answers now and then).
/// </summary>
public sealed class LocalLimitsTests(TestServers servers) : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly LimitScope team = LimitScope.ForTeam("team-local", "team 'local'", null, Now, Now) with { Budget = 1.00m };
    private ConnectionMultiplexer redis = null!;
    private LocalLimits local = null!;
    private OutageReplay replay = null!;

    public async ValueTask InitializeAsync()
    {
        redis = await ConnectionMultiplexer.ConnectAsync(await servers.CreateRedisAsync());
        replay = new OutageReplay(redis, NullLogger<OutageReplay>.Instance);
        var options = new LimitsOptions { OutageShare = 1.0 };
        local = new LocalLimits(replay, new ReplicaCount(redis, replay, options, NullLogger<ReplicaCount>.Instance), options);
        local.RememberUsed(team.SpentKey, 0);
    }

    public async ValueTask DisposeAsync() => await redis.DisposeAsync();

    [Fact]
    public void AnAnswerBetweenTwoTimeoutsDoesNotHandOutTheBudgetAgainWhileItsRequestsAreInFlight()
    {
        local.OnRedisFailed(); // an admission timed out
        Assert.Null(Admit("req-a", 0.60m).Rejection);

        local.OnRedisAnswered(); // Redis answered one request; req-a is still in flight on the outage's allowance
        local.OnRedisFailed(); // and timed out again

        var second = Admit("req-b", 0.60m);
        Assert.NotNull(second.Rejection);
        Assert.Equal("budget_exceeded", second.Rejection!.Type);
        Assert.Null(Admit("req-c", 0.40m).Rejection); // what is left of the one allowance is still usable
    }

    [Fact]
    public async Task TheAllowanceIsRetiredOnceRedisCountsEverythingItCovered()
    {
        await redis.GetDatabase().StringSetAsync(team.SpentKey, 0); // the counter Redis had before it timed out
        Assert.Null(Admit("req-d", 0.60m).Rejection);
        local.Settle("req-d", Api.Pricing.Money.ToNanos(0.60m), Now);
        local.OnRedisAnswered(); // sends the replay of req-d's cost
        await LocalProcess.WaitUntilAsync(async () =>
        {
            local.OnRedisAnswered();
            return replay.IsEmpty && (long)await redis.GetDatabase().StringGetAsync(team.SpentKey) == Api.Pricing.Money.ToNanos(0.60m);
        }, TimeSpan.FromSeconds(30), "req-d's cost replayed into Redis");
        local.OnRedisAnswered(); // nothing in flight, nothing to replay: the next outage starts from what Redis reports

        local.RememberUsed(team.SpentKey, Api.Pricing.Money.ToNanos(0.60m));
        Assert.NotNull(Admit("req-e", 0.50m).Rejection);
        Assert.Null(Admit("req-f", 0.40m).Rejection);
    }

    private Admission Admit(string requestId, decimal cost) =>
        local.Admit([team], requestId, tokens: 10, Api.Pricing.Money.ToNanos(cost), Now);
}
