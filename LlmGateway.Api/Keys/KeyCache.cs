using System.Collections.Concurrent;
using System.Text.Json;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Keys;

/// <summary>
/// Key records cached in-process for the hot path. Every change published on a Redis channel evicts the entry on
/// every replica at once; a short TTL is the safety net when a message is missed (Redis down).
/// </summary>
public sealed class KeyCache : IHostedService
{
    public static readonly RedisChannel Channel = RedisKeys.Channel("keys:invalidate");
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan NegativeTtl = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<KeyRecord?>>> loads = new(StringComparer.Ordinal);
    private long changes;
    private readonly IServiceScopeFactory scopes;
    private readonly IConnectionMultiplexer redis;
    private readonly ILogger<KeyCache> logger;

    public KeyCache(IServiceScopeFactory scopes, IConnectionMultiplexer redis, ILogger<KeyCache> logger)
    {
        this.scopes = scopes;
        this.redis = redis;
        this.logger = logger;
    }

    private sealed record Entry(KeyRecord? Record, DateTimeOffset ExpiresAt);

    /// <summary>
    /// The key whose secret has this hash (current or, within its grace period, previous); null when unknown.
    /// A key seen before never waits for Postgres: past its TTL it is answered from the cache while one background load
    /// refreshes it (and when Postgres is down, it keeps working on the cached record). An unknown hash waits for the
    /// load — one load per hash however many requests arrive at once.
    /// </summary>
    public async ValueTask<KeyRecord?> GetAsync(string hash, CancellationToken ct)
    {
        if (entries.TryGetValue(hash, out var entry))
        {
            if (entry.ExpiresAt > DateTimeOffset.UtcNow)
            {
                return entry.Record;
            }

            if (entry.Record is not null)
            {
                _ = LoadOnce(hash);
                return entry.Record;
            }
        }

        return await LoadOnce(hash).WaitAsync(ct);
    }

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
            logger.LogWarning("Could not publish a key change ({Error}); other replicas see it within {Ttl}", ex.GetType().Name, Ttl);
        }
    }

    public static string KeyMessage(string token) => "key:" + token;

    /// <summary>Forgets a cached "unknown key" answer for a secret that was just issued.</summary>
    public void ForgetSecret(string secretHash)
    {
        // A lookup of this secret already in flight may have read "unknown": it must not be joined or stored.
        Interlocked.Increment(ref changes);
        loads.TryRemove(secretHash, out _);
        entries.TryRemove(secretHash, out _);
    }

    public static string TeamMessage(string teamId) => "team:" + teamId;

    private void Evict(string message)
    {
        // Loads that started before this change must neither be joined nor stored.
        Interlocked.Increment(ref changes);
        loads.Clear();
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
            var record = await LoadAsync(hash, now, CancellationToken.None);
            if (Interlocked.Read(ref changes) == changesBefore)
            {
                entries[hash] = new Entry(record, now + (record is null ? NegativeTtl : Ttl));
            }

            return record;
        }
        catch (Exception ex) when (entries.TryGetValue(hash, out var stale) && stale.Record is not null)
        {
            // Postgres unreachable: a key seen before keeps working (stale, for another TTL) instead of failing requests.
            logger.LogWarning("Key lookup failed ({Error}); serving the cached record", ex.GetType().Name);
            entries.TryUpdate(hash, stale with { ExpiresAt = now + Ttl }, stale);
            return stale.Record;
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
        return ToRecord(key, usedPrevious: key.SecretHash != hash, user);
    }

    public static KeyRecord ToRecord(VirtualKey key, bool usedPrevious = false, InternalUser? user = null) => new()
    {
        Token = key.Token,
        KeyName = key.KeyName,
        KeyAlias = key.KeyAlias,
        UserId = key.UserId,
        TeamId = key.TeamId,
        TeamAlias = key.Team?.TeamAlias,
        Models = key.Models,
        TeamModels = key.Team?.Models ?? [],
        Blocked = key.Blocked,
        TeamBlocked = key.Team?.Blocked ?? false,
        Expires = key.Expires,
        GraceUntil = usedPrevious ? key.PreviousTokenExpires : null,
        Tags = key.Tags,
        KeyLimits = new ScopeLimits
        {
            RpmLimit = key.RpmLimit,
            TpmLimit = key.TpmLimit,
            MaxParallelRequests = key.MaxParallelRequests,
            MaxBudget = key.MaxBudget,
            SoftBudget = key.SoftBudget,
            BudgetDuration = key.BudgetDuration,
            BudgetAnchor = key.CreatedAt,
            TempBudgetIncrease = key.TempBudgetIncrease,
            TempBudgetExpiry = key.TempBudgetExpiry,
        },
        TeamLimits = key.Team is not { } team ? null : new ScopeLimits
        {
            RpmLimit = team.RpmLimit,
            TpmLimit = team.TpmLimit,
            MaxParallelRequests = team.MaxParallelRequests,
            MaxBudget = team.MaxBudget,
            SoftBudget = team.SoftBudget,
            BudgetDuration = team.BudgetDuration,
            BudgetAnchor = team.CreatedAt,
        },
        UserLimits = user is null ? null : new ScopeLimits
        {
            RpmLimit = user.RpmLimit,
            TpmLimit = user.TpmLimit,
            MaxParallelRequests = user.MaxParallelRequests,
            MaxBudget = user.MaxBudget,
            SoftBudget = user.SoftBudget,
            BudgetDuration = user.BudgetDuration,
            BudgetAnchor = user.CreatedAt,
        },
        UserModels = user?.Models ?? [],
        ModelRpmLimit = ParseLimits(key.ModelRpmLimit),
        ModelTpmLimit = ParseLimits(key.ModelTpmLimit),
        AllowedCacheControls = KeyMetadata.AllowedCacheControls(key.Metadata),
        LogContent = KeyMetadata.LogsContent(key.Metadata) || KeyMetadata.LogsContent(key.Team?.Metadata),
    };

    private static Dictionary<string, long> ParseLimits(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, long>>(json) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, message) => Evict(message.ToString()));
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            // Redis is not up yet: StackExchange.Redis re-subscribes on reconnect only for established subscriptions,
            // so the TTL covers this replica until it restarts with Redis available.
            logger.LogWarning("Could not subscribe to key changes ({Error}); relying on the {Ttl} cache TTL", ex.GetType().Name, Ttl);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
