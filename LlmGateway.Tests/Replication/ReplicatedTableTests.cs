using LlmGateway.Api;
using LlmGateway.Api.Replication;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace LlmGateway.Tests.Replication;

/// <summary>
/// Two replicas (A and B) of one replicated table over a Redis of their own, which the tests stop, restart and cut: the
/// "table" is a string the test changes, so only the mechanism is under test (the customers, tags and stored models ride
/// on it; their own tests cover them).
/// </summary>
public sealed class ReplicatedTableTests : IAsyncLifetime
{
    private static readonly RedisChannel Channel = RedisKeys.Channel("tests:replicated-table:" + Guid.NewGuid().ToString("N"));
    private readonly CancellationTokenSource stop = new();
    private readonly List<ConnectionMultiplexer> connections = [];
    private readonly List<Task> running = [];
    private RedisServer redis = null!;
    private volatile string source = "v0";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => redis = await TestServers.StartOwnRedisAsync();

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }

        await redis.DisposeAsync();
        stop.Dispose();
    }

    /// <summary>A replica of the table: its own Redis connection, polling every <paramref name="poll"/>, probing every half second.</summary>
    private async Task<ReplicatedTable<string>> ReplicaAsync(TimeSpan poll, Func<string, CancellationToken, Task<string>>? load = null)
    {
        var connection = await ConnectAsync();
        var table = new ReplicatedTable<string>("the test table", Channel, "", poll, load ?? ((_, _) => Task.FromResult(source)), connection,
            new GatewayReadiness { SchemaReady = true }, TimeSpan.FromMilliseconds(500), NullLogger.Instance);
        running.Add(table.RunAsync(stop.Token));
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(table.Loaded && table.Subscription.State.Subscribed), TimeSpan.FromSeconds(30),
            "the replica's first load and subscription");
        return table;
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        connections.Add(connection);
        return connection;
    }

    [Fact]
    public async Task AChangeAnnouncedByOneReplicaReachesTheOtherAtOnce()
    {
        var a = await ReplicaAsync(TimeSpan.FromHours(1));
        var b = await ReplicaAsync(TimeSpan.FromHours(1));

        source = "v1";
        await a.PublishChangeAsync(Ct);

        Assert.Equal("v1", a.Current); // the writing replica before it answers
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(b.Current == "v1"), TimeSpan.FromSeconds(1), "replica B reloading");
    }

    [Fact]
    public async Task AChangeMadeWhileRedisIsDownReachesTheOtherReplicaByThePoll()
    {
        var a = await ReplicaAsync(TimeSpan.FromHours(1));
        var b = await ReplicaAsync(TimeSpan.FromSeconds(1));
        await redis.StopAsync();

        source = "v2";
        await a.PublishChangeAsync(Ct); // the announcement is lost: Redis is down

        await LocalProcess.WaitUntilAsync(() => Task.FromResult(b.Current == "v2"), TimeSpan.FromSeconds(10), "replica B polling");
        await redis.StartAsync();
    }

    [Theory]
    [InlineData("restart-redis")]
    [InlineData("kill-connections")]
    public async Task AfterTheSubscriptionDroppedTheReplicaSubscribesAgainAndAChangeReachesItWithinASecond(string drop)
    {
        var a = await ReplicaAsync(TimeSpan.FromHours(1));
        var b = await ReplicaAsync(TimeSpan.FromHours(1)); // no poll within the test: only the channel can bring the change
        var resubscribes = b.Subscription.State.Resubscribes;
        if (drop == "restart-redis")
        {
            await redis.StopAsync();
            await redis.StartAsync();
        }
        else
        {
            await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true");
            await admin.GetServers()[0].ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        }

        await LocalProcess.WaitUntilAsync(() => Task.FromResult(b.Subscription.State is { Subscribed: true } s && s.Resubscribes > resubscribes),
            TimeSpan.FromSeconds(60), "replica B subscribing again");
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(a.Subscription.State.Subscribed), TimeSpan.FromSeconds(60), "replica A subscribed");

        source = $"after-{drop}";
        await a.PublishChangeAsync(Ct);

        await LocalProcess.WaitUntilAsync(() => Task.FromResult(b.Current == source), TimeSpan.FromSeconds(1), "replica B reloading");
    }

    [Fact]
    public async Task ARequestDoesNotWaitForAFirstLoadThatFailed()
    {
        var table = new ReplicatedTable<string>("the test table", Channel, "", TimeSpan.FromHours(1),
            (_, _) => Task.FromException<string>(new TimeoutException("Postgres unreachable")),
            await ConnectAsync(), new GatewayReadiness { SchemaReady = true },
            TimeSpan.FromMilliseconds(500), NullLogger.Instance);
        await Assert.ThrowsAsync<TimeoutException>(() => table.ReloadAsync(Ct));

        var waited = System.Diagnostics.Stopwatch.StartNew();
        var loaded = await table.LoadedAsync(TimeSpan.FromMinutes(5), Ct);

        Assert.False(loaded);
        Assert.True(waited.Elapsed < TimeSpan.FromMinutes(1), $"waited {waited.Elapsed}");
    }

    [Fact]
    public async Task ARequestWaitsForAFirstLoadUnderWayAtMostItsBound()
    {
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var table = new ReplicatedTable<string>("the test table", Channel, "", TimeSpan.FromHours(1), (_, _) => release.Task,
            await ConnectAsync(), new GatewayReadiness { SchemaReady = true },
            TimeSpan.FromMilliseconds(500), NullLogger.Instance);
        var firstLoad = table.ReloadAsync(Ct);

        Assert.False(await table.LoadedAsync(TimeSpan.FromMilliseconds(200), Ct));
        release.SetResult("v1");
        await firstLoad;
        Assert.True(await table.LoadedAsync(TimeSpan.FromMinutes(5), Ct));
        Assert.Equal("v1", table.Current);
    }
}
