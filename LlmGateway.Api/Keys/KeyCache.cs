using System.Collections.Concurrent;
using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Keys;

/// <summary>
/// Key records cached in-process for the hot path. Every change published on a Redis channel evicts the entry on
/// every replica at once (<see cref="KeyChangeSubscription"/> keeps the subscription alive), and a revocation cuts the
/// key's streams (<see cref="KeyRevocations"/>); a short TTL is the safety net when a message is missed. Past its TTL a
/// record is served at most <see cref="KeyCacheOptions.StaleGraceSeconds"/> more while Postgres cannot confirm it. Wrong
/// keys cost no Postgres round trip: a bounded negative cache, and the <see cref="KeyDirectory"/> of every known secret hash.
/// </summary>
public sealed partial class KeyCache : IHostedService, IDisposable
{
    public static readonly RedisChannel Channel = RedisKeys.Channel("keys:invalidate");
    private static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(1);
    // The execution strategy retries a down Postgres for half a minute: a key check gives up sooner.
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<KeyRecord?>>> loads = new(StringComparer.Ordinal);
    private long changes;
    private long lastFailure = long.MinValue / 2;
    private readonly IServiceScopeFactory scopes;
    private readonly IConnectionMultiplexer redis;
    private readonly ILogger<KeyCache> logger;
    private readonly KeyCacheOptions options;
    private readonly NegativeKeyCache unknown;
    private readonly CancellationTokenSource stopping = new();
    private readonly TimeSpan ttl;
    private readonly TimeSpan grace;

    public KeyCache(IServiceScopeFactory scopes, IConnectionMultiplexer redis, ILogger<KeyCache> logger, KeyCacheOptions? options = null)
    {
        this.scopes = scopes;
        this.redis = redis;
        this.logger = logger;
        this.options = options ?? new KeyCacheOptions();
        unknown = new NegativeKeyCache(this.options.NegativeCacheSize, NegativeTtl);
        Directory = new KeyDirectory(this.options);
        Issued = new IssuedKeys(redis, this.options);
        ttl = TimeSpan.FromSeconds(Math.Max(0.1, this.options.CacheTtlSeconds));
        grace = TimeSpan.FromSeconds(Math.Max(0, this.options.StaleGraceSeconds));
        Subscription = new KeyChangeSubscription(redis, logger, TimeSpan.FromSeconds(this.options.SubscriptionProbeSeconds), Evict, ExpireAll);
    }

    /// <summary>The in-flight streams of each key, team and user, cut when one is revoked.</summary>
    public KeyRevocations Revocations { get; } = new();

    /// <summary>This replica's subscription to key changes.</summary>
    public KeyChangeSubscription Subscription { get; }

    /// <summary>The hashes of every known secret, so wrong keys are refused without Postgres.</summary>
    public KeyDirectory Directory { get; }

    /// <summary>How many unknown hashes are remembered now (at most <see cref="KeyCacheOptions.NegativeCacheSize"/>).</summary>
    public int UnknownCount => unknown.Count;

    private sealed record Entry(KeyRecord? Record, DateTimeOffset ExpiresAt);

    /// <summary>
    /// The key whose secret has this hash (current or, within its grace period, previous); null when unknown.
    /// A key seen before does not wait for Postgres: past its TTL (and within the grace) it is answered from the cache while
    /// one background load refreshes it. An unknown hash, or a record past its TTL and the grace, waits for the load — one
    /// load per hash however many requests arrive at once; <see cref="KeyStoreUnavailableException"/> when it fails.
    /// </summary>
    public async ValueTask<KeyRecord?> GetAsync(string hash, CancellationToken ct)
    {
        if (entries.TryGetValue(hash, out var entry))
        {
            var now = DateTimeOffset.UtcNow;
            if (entry.ExpiresAt > now)
            {
                return entry.Record;
            }

            if (entry.Record is not null && entry.ExpiresAt + grace > now)
            {
                _ = LoadOnce(hash);
                return entry.Record;
            }

            return await WaitForLoadAsync(hash, ct); // too old to serve unconfirmed: Postgres must answer
        }

        // A lookup of this hash already under way is joined, not counted again: a burst of one new key (announced to this
        // replica a moment late) costs one of the few unknown-key lookups a second.
        if (unknown.Contains(hash, DateTimeOffset.UtcNow)
            || (!loads.ContainsKey(hash) && !Directory.WorthLookingUp(hash) && !await IssuedLatelyAsync(hash)))
        {
            return null;
        }

        return await WaitForLoadAsync(hash, ct);
    }

    /// <summary>
    /// A hash past the unknown-key rate: a key issued on another replica whose announcement is still on its way is marked
    /// in Redis (<see cref="IssuedKeys"/>), and looked up; any other is remembered as unknown.
    /// </summary>
    private async ValueTask<bool> IssuedLatelyAsync(string hash)
    {
        if (!redis.IsConnected)
        {
            return false; // Redis is down: no wait per wrong key meanwhile
        }

        var now = DateTimeOffset.UtcNow;
        var changesBefore = Interlocked.Read(ref changes);
        if (await Issued.WasIssuedAsync(hash))
        {
            Directory.Add(hash);
            return true;
        }

        StoreUnknown(hash, now, changesBefore);
        return false;
    }

    /// <summary>The load of a hash; while the last lookup failed moments ago, a 503 at once instead of a wait for the next.</summary>
    private async ValueTask<KeyRecord?> WaitForLoadAsync(string hash, CancellationToken ct)
    {
        var load = LoadOnce(hash);
        if (Environment.TickCount64 - Interlocked.Read(ref lastFailure) < 2_000 && !load.IsCompleted)
        {
            throw new KeyStoreUnavailableException(null);
        }

        return await load.WaitAsync(ct);
    }

    /// <summary>The cached record of a hash, if any, without ever waiting for Postgres.</summary>
    public KeyRecord? Cached(string hash) => entries.TryGetValue(hash, out var entry) ? entry.Record : null;

    private Task<KeyRecord?> LoadOnce(string hash)
    {
        if (loads.TryGetValue(hash, out var running))
        {
            return running.Value;
        }

        Lazy<Task<KeyRecord?>>? load = null;
        load = new Lazy<Task<KeyRecord?>>(() => LoadAndStoreAsync(hash, load!));
        return loads.GetOrAdd(hash, load).Value;
    }

    private async Task<KeyRecord?> LoadAndStoreAsync(string hash, Lazy<Task<KeyRecord?>> self)
    {
        var changesBefore = Interlocked.Read(ref changes);
        await Task.Yield(); // the Lazy's factory returns at once; the load runs outside its lock
        var now = DateTimeOffset.UtcNow;
        try
        {
            // Not the caller's token: the load is shared by every request waiting for this hash.
            using var timeout = new CancellationTokenSource(LookupTimeout);
            var record = await LoadAsync(hash, now, timeout.Token);
            if (record is null)
            {
                StoreUnknown(hash, now, changesBefore);
            }
            else
            {
                Store(hash, new Entry(record, now + ttl), changesBefore);
            }

            return record;
        }
        catch (Exception ex) when (entries.TryGetValue(hash, out var stale) && stale.Record is not null && stale.ExpiresAt + grace > now)
        {
            Interlocked.Exchange(ref lastFailure, Environment.TickCount64);
            // Postgres unreachable: a key seen before keeps working on its cached record, for the bounded grace only.
            logger.LogWarning("Key lookup failed ({Error}); serving the cached record until {Until:u}", ex.GetType().Name, stale.ExpiresAt + grace);
            return stale.Record;
        }
        catch (Exception ex)
        {
            Interlocked.Exchange(ref lastFailure, Environment.TickCount64);
            throw new KeyStoreUnavailableException(ex);
        }
        finally
        {
            loads.TryRemove(new KeyValuePair<string, Lazy<Task<KeyRecord?>>>(hash, self));
        }
    }

    private async Task<KeyRecord?> LoadAsync(string hash, DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var key = await db.VirtualKeys.AsNoTracking().Include(k => k.Team)
            .Where(k => k.SecretHash == hash || (k.PreviousToken == hash && k.PreviousTokenExpires > now))
            .FirstOrDefaultAsync(ct);
        if (key is null)
        {
            return null;
        }

        var user = key.UserId is { } userId ? await db.InternalUsers.AsNoTracking().FirstOrDefaultAsync(u => u.UserId == userId, ct) : null;
        var record = await KeyBudgets.WithBudgetObjectsAsync(KeyRecords.From(key, usedPrevious: key.SecretHash != hash, user), db, key.BudgetId, user?.BudgetId, ct);
        return await WithTeamScopesAsync(db, record, key.Team, ct);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Subscription.RunAsync(stopping.Token);
        _ = Directory.RefreshAsync(scopes, logger, stopping.Token);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        stopping.Cancel();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        stopping.Cancel(); // not disposed: StopAsync may still come after the container's disposal
        Directory.Dispose();
    }
}
