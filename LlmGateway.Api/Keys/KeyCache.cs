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
public sealed class KeyCache : IHostedService, IDisposable
{
    public static readonly RedisChannel Channel = RedisKeys.Channel("keys:invalidate");
    private static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(1);
    // The execution strategy retries a down Postgres for half a minute: a key check gives up sooner.
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<KeyRecord?>>> loads = new(StringComparer.Ordinal);
    private long changes;
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
        ttl = TimeSpan.FromSeconds(Math.Max(0.1, this.options.CacheTtlSeconds));
        grace = TimeSpan.FromSeconds(Math.Max(0, this.options.StaleGraceSeconds));
        Subscription = new KeyChangeSubscription(redis, logger, TimeSpan.FromSeconds(this.options.SubscriptionProbeSeconds), Evict, () => Evict("all"));
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

            return await LoadOnce(hash).WaitAsync(ct); // too old to serve unconfirmed: Postgres must answer
        }

        // A lookup of this hash already under way is joined, not counted again: a burst of one new key (announced to this
        // replica a moment late) costs one of the few unknown-key lookups a second, and none of its requests is refused.
        if (unknown.Contains(hash, DateTimeOffset.UtcNow) || (!loads.ContainsKey(hash) && !Directory.WorthLookingUp(hash)))
        {
            return null;
        }

        return await LoadOnce(hash).WaitAsync(ct);
    }

    /// <summary>The cached record of a hash, if any, without ever waiting for Postgres.</summary>
    public KeyRecord? Cached(string hash) => entries.TryGetValue(hash, out var entry) ? entry.Record : null;

    /// <summary>Evicts locally and tells every other replica to do the same.</summary>
    public async Task PublishChangeAsync(string message)
    {
        Evict(message);
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, message).WaitAsync(TimeSpan.FromSeconds(1));
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            logger.LogWarning("Could not publish a key change ({Error}); other replicas see it within {Ttl}", ex.GetType().Name, ttl);
        }
    }

    public static string KeyMessage(string token) => KeyRevocations.KeyScope(token);

    /// <summary>A change that also cuts the in-flight streams of the key, team or user named by <paramref name="message"/>.</summary>
    public static string Revocation(string message) => RevokePrefix + message;

    private const string RevokePrefix = "revoke:";

    /// <summary>A secret was just issued: forgets "unknown key" answers for it, here and (pub/sub) on every replica.</summary>
    public void ForgetSecret(string secretHash)
    {
        Issued(secretHash);
        _ = PublishIssuedAsync(secretHash);
    }

    private void Issued(string secretHash)
    {
        // A lookup of this secret already in flight may have read "unknown": it must not be joined or stored.
        Interlocked.Increment(ref changes);
        Directory.Add(secretHash);
        unknown.Remove(secretHash);
        loads.TryRemove(secretHash, out _);
        entries.TryRemove(secretHash, out _);
    }

    private async Task PublishIssuedAsync(string secretHash)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, "new:" + secretHash).WaitAsync(TimeSpan.FromSeconds(1));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            logger.LogWarning("Could not announce a new key ({Error}); other replicas find it at {Rate} unknown-key lookups/s",
                ex.GetType().Name, options.UnknownKeyLookupsPerSecond);
        }
    }

    public static string TeamMessage(string teamId) => KeyRevocations.TeamScope(teamId);

    private void Evict(string message)
    {
        if (message.StartsWith("new:", StringComparison.Ordinal))
        {
            Issued(message[4..]);
            return;
        }

        var revoked = message.StartsWith(RevokePrefix, StringComparison.Ordinal);
        message = revoked ? message[RevokePrefix.Length..] : message;
        EvictRecords(message);
        if (!revoked)
        {
            Revocations.Allow(message);
        }
        else if (Revocations.Revoke(message) is > 0 and var cut)
        {
            logger.LogInformation("Revoked {Scope}: {Count} in-flight request(s) cut", message.Split(':')[0], cut);
        }
    }

    private void EvictRecords(string message)
    {

        // Loads that started before this change must neither be joined nor stored.
        Interlocked.Increment(ref changes);
        loads.Clear();
        unknown.Clear();
        if (message.StartsWith("key:", StringComparison.Ordinal))
        {
            // Entries are indexed by secret hash; the message names the key's stable token.
            var token = message[4..];
            foreach (var (hash, entry) in entries)
            {
                if (hash == token || entry.Record?.Token == token)
                {
                    entries.TryRemove(hash, out _);
                }
            }
        }
        else if (message.StartsWith("team:", StringComparison.Ordinal))
        {
            var team = message[5..];
            foreach (var (hash, entry) in entries)
            {
                if (entry.Record?.TeamId == team)
                {
                    entries.TryRemove(hash, out _);
                }
            }
        }
        else
        {
            entries.Clear();
        }
    }

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
            if (Interlocked.Read(ref changes) != changesBefore)
            {
                return record;
            }

            if (record is null)
            {
                unknown.Add(hash, now);
            }
            else
            {
                entries[hash] = new Entry(record, now + ttl);
            }

            return record;
        }
        catch (Exception ex) when (entries.TryGetValue(hash, out var stale) && stale.Record is not null && stale.ExpiresAt + grace > now)
        {
            // Postgres unreachable: a key seen before keeps working on its cached record, for the bounded grace only.
            logger.LogWarning("Key lookup failed ({Error}); serving the cached record until {Until:u}", ex.GetType().Name, stale.ExpiresAt + grace);
            return stale.Record;
        }
        catch (Exception ex)
        {
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
        return KeyRecords.From(key, usedPrevious: key.SecretHash != hash, user);
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
