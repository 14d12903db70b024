using LlmGateway.Api.Data;
using LlmGateway.Api.Keys;
using LlmGateway.Tests.Limits;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace LlmGateway.Tests.Keys;

/// <summary>The key cache against the real Postgres and Redis of the governance fixture, counting its key lookups.</summary>
public sealed class KeyCacheTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>, IAsyncLifetime
{
    private readonly KeyLookupCounter lookups = new();
    private ServiceProvider services = null!;
    private ConnectionMultiplexer redis = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        redis = await ConnectionMultiplexer.ConnectAsync(fixture.RedisConnection);
        services = new ServiceCollection()
            .AddDbContext<GatewayDbContext>(options => options.UseNpgsql(fixture.DatabaseConnection).UseSnakeCaseNamingConvention()
                .AddInterceptors(lookups))
            .BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        await services.DisposeAsync();
        await redis.DisposeAsync();
    }

    private KeyCache NewCache() => new(services.GetRequiredService<IServiceScopeFactory>(), redis, NullLogger<KeyCache>.Instance);

    [Fact]
    public async Task ABurstOfRequestsForAKeyNotCachedYetMakesOneLookup()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "burst-team" });
        var cache = NewCache();

        var records = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => cache.GetAsync(VirtualKeyFormat.Hash(key), Ct).AsTask()));

        Assert.All(records, r => Assert.Equal(records[0]!.Token, r!.Token));
        Assert.Equal(1, lookups.Count);
    }

    [Fact]
    public async Task AnUnknownSecretIsLookedUpOnceByABurstAndAnsweredNull()
    {
        var cache = NewCache();

        var records = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => cache.GetAsync(VirtualKeyFormat.Hash("sk-nobody"), Ct).AsTask()));

        Assert.All(records, Assert.Null);
        Assert.Equal(1, lookups.Count);
    }

    [Fact]
    public async Task AChangeAnnouncedWhileALoadIsInFlightIsNotOverwrittenByIt()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "race-team" });
        var cache = NewCache();
        var hash = VirtualKeyFormat.Hash(key);
        lookups.Gate = new TaskCompletionSource();

        var inFlight = cache.GetAsync(hash, Ct).AsTask();     // waits at the gate, holding the record read before the change
        await cache.PublishChangeAsync("all");                // the change: eviction while the load is in flight
        lookups.Gate.SetResult();
        await inFlight;
        var after = await cache.GetAsync(hash, Ct);           // not served from the stale load: looked up again

        Assert.NotNull(after);
        Assert.Equal(2, lookups.Count);
    }
}
