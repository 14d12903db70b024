using LlmGateway.Api.Data;
using LlmGateway.Api.Keys;
using LlmGateway.Tests.Limits;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace LlmGateway.Tests.Keys;

/// <summary>The key cache against the real Postgres and Redis of the governance fixture, counting its key lookups (and holding them).</summary>
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

    // The interleavings of a key's lookups with its announcement and its changes, forced one at a time: the cache under test
    // is a replica that is not subscribed (the announcement of a key issued through the fixture's Api never reaches it, as
    // when it arrives late), its unknown-key rate one a second, its Postgres reads held at the gate or a hook.

    /// <summary>A replica whose directory of known keys was loaded before the test's key existed.</summary>
    private async Task<KeyCache> LateReplicaAsync()
    {
        var cache = new KeyCache(services.GetRequiredService<IServiceScopeFactory>(), redis, NullLogger<KeyCache>.Instance,
            new KeyCacheOptions { UnknownKeyLookupsPerSecond = 1 });
        await cache.Directory.LoadAsync(services.GetRequiredService<IServiceScopeFactory>(), Ct);
        lookups.Reset();
        return cache;
    }

    [Fact]
    public async Task AKeyIssuedElsewhereIsFoundAfterWrongKeysSpentTheUnknownKeyRate()
    {
        var cache = await LateReplicaAsync();
        Assert.Null(await cache.GetAsync(VirtualKeyFormat.Hash($"sk-wrong-{Guid.NewGuid():N}"), Ct)); // the second's one lookup
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "race-rate-spent" });

        var record = await cache.GetAsync(VirtualKeyFormat.Hash(key), Ct);

        Assert.NotNull(record);
    }

    [Fact]
    public async Task ABurstOfANewKeyIsNotRefusedWhenAChangeDiscardsItsFirstLookup()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "race-discarded" });
        var hash = VirtualKeyFormat.Hash(key);
        var cache = await LateReplicaAsync();
        lookups.Reset();
        lookups.Gate = new TaskCompletionSource();
        KeyRecord? second;
        Task<KeyRecord?> first;
        try
        {
            first = cache.GetAsync(hash, Ct).AsTask();       // spends the unknown-key rate; held at the gate
            // The first lookup's query is the one held: the second's must not reach the gate before it (it hung CI once).
            await Infrastructure.LocalProcess.WaitUntilAsync(() => Task.FromResult(lookups.Count >= 1), TimeSpan.FromSeconds(10), "the first lookup at the gate");
            await cache.PublishChangeAsync(KeyCache.TeamMessage($"other-{Guid.NewGuid():N}")); // drops the lookup in flight
            second = await cache.GetAsync(hash, Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Ct); // no lookup to join, no rate left: refused before the fix
        }
        finally
        {
            lookups.Gate.TrySetResult();
        }

        Assert.NotNull(second);
        Assert.NotNull(await first);
    }

    [Fact]
    public async Task AKeyUpdatedBetweenALookupsCheckAndItsStoreIsReadAgain()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "race-updated" });
        var hash = VirtualKeyFormat.Hash(key);
        var cache = new KeyCache(services.GetRequiredService<IServiceScopeFactory>(), redis, NullLogger<KeyCache>.Instance);
        var updated = 0;
        cache.LoadChecked = _ =>
        {
            if (Interlocked.Exchange(ref updated, 1) == 0)
            {
                // The update commits and its change message lands after the lookup read the key and checked for changes.
                using var scope = services.CreateScope();
                scope.ServiceProvider.GetRequiredService<GatewayDbContext>().VirtualKeys
                    .Where(k => k.Token == hash).ExecuteUpdate(s => s.SetProperty(k => k.RpmLimit, 7));
                cache.PublishChangeAsync(KeyCache.KeyMessage(hash)).GetAwaiter().GetResult();
            }
        };

        var before = await cache.GetAsync(hash, Ct);   // read before the update: its requests started before it
        var after = await cache.GetAsync(hash, Ct);

        Assert.Null(before!.KeyLimits.RpmLimit);
        Assert.Equal(7, after!.KeyLimits.RpmLimit);
    }
}
