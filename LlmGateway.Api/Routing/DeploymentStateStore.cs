using System.Collections.Concurrent;
using StackExchange.Redis;
using static LlmGateway.Api.Routing.DeploymentStateLayout;

namespace LlmGateway.Api.Routing;

/// <summary>
/// Deployment state shared by every replica through Redis (one hash per deployment, keys hash-tagged by deployment id so
/// a Redis cluster works), mirrored locally. Every call is bounded, and when Redis fails the local mirror answers:
/// a Redis outage never fails a request.
/// </summary>
/// <remarks>
/// The router reads the mirror, not Redis: a deployment's mirrored state is re-read from Redis when it is older than
/// <see cref="DeploymentStateMirror.SnapshotTtl"/>, or at once when another replica announces a change (cooldown,
/// recovery, health verdict) on <see cref="DeploymentStateMirror.Channel"/>. So a request costs no Redis round trip for
/// routing, and a cooldown set by one replica reaches the others within the pub/sub latency (bounded by the TTL when a
/// message is lost).
/// </remarks>
public sealed class DeploymentStateStore
{
    private static readonly TimeSpan RedisBound = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StateTtl = TimeSpan.FromDays(1);

    private readonly IConnectionMultiplexer redis;
    private readonly TimeProvider clock;
    private readonly ILogger<DeploymentStateStore> logger;
    private readonly DeploymentStateMirror mirror;
    private readonly ConcurrentDictionary<string, long> localCounters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> localLocks = new(StringComparer.Ordinal);
    private long lastWarning;

    public DeploymentStateStore(IConnectionMultiplexer redis, TimeProvider clock, ILogger<DeploymentStateStore> logger)
    {
        this.redis = redis;
        this.clock = clock;
        this.logger = logger;
        mirror = new DeploymentStateMirror(redis, logger);
    }

    public DateTimeOffset Now => clock.GetUtcNow();

    /// <summary>This replica's latest view, without a round trip (for gauges).</summary>
    public DeploymentState Local(string id) => mirror.Get(id);

    /// <summary>
    /// The state of these deployments: the mirror while it is fresh (no round trip), else one batched Redis read; the
    /// local mirror when Redis fails. <paramref name="fresh"/> always reads Redis (for the admin views).
    /// </summary>
    public ValueTask<IReadOnlyDictionary<string, DeploymentState>> ReadAsync(IReadOnlyList<string> ids, bool fresh = false) =>
        !fresh && mirror.IsFresh(ids)
            ? ValueTask.FromResult(mirror.States)
            : new ValueTask<IReadOnlyDictionary<string, DeploymentState>>(ReadSharedAsync(ids));

    private async Task<IReadOnlyDictionary<string, DeploymentState>> ReadSharedAsync(IReadOnlyList<string> ids)
    {
        var list = ids.Distinct(StringComparer.Ordinal).ToArray();
        var readStarted = Environment.TickCount64;
        var changesBefore = list.Select(mirror.ChangeCount).ToArray();
        var result = new Dictionary<string, DeploymentState>(list.Length, StringComparer.Ordinal);
        try
        {
            var db = redis.GetDatabase();
            var batch = db.CreateBatch();
            var minute = Minute();
            var reads = list.Select(id => (Hash: batch.HashGetAllAsync(StateKey(id)), Tokens: batch.StringGetAsync(TokensKey(id, minute)))).ToArray();
            batch.Execute();
            await Task.WhenAll(reads.SelectMany(r => new Task[] { r.Hash, r.Tokens })).WaitAsync(RedisBound);
            for (var i = 0; i < list.Length; i++)
            {
                var shared = Parse(await reads[i].Hash, (long?)await reads[i].Tokens ?? 0);
                var local = Local(list[i]);
                // A cooldown this replica set but could not write is kept.
                if (local.CooldownUntil > shared.CooldownUntil && local.CooldownUntil > Now)
                {
                    shared = shared with { CooldownUntil = local.CooldownUntil, CooldownReason = local.CooldownReason, Tripped = true };
                }

                mirror.Store(list[i], shared, readStarted, changesBefore[i]);
                result[list[i]] = shared;
            }
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Warn(ex);
            foreach (var id in list)
            {
                result[id] = Local(id);
            }
        }

        return result;
    }

    /// <summary>Counts a retryable failure in this minute's window; returns the count (local when Redis fails).</summary>
    public async Task<long> CountFailureAsync(string id)
    {
        var key = FailuresKey(id);
        try
        {
            return (long)await redis.GetDatabase().ScriptEvaluateAsync(CountFailure, new { key = (RedisKey)key, ttl = 60_000 }).WaitAsync(RedisBound);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Warn(ex);
            return localCounters.AddOrUpdate($"{key}:{Minute()}", 1, (_, n) => n + 1);
        }
    }

    public async Task CoolDownAsync(string id, DateTimeOffset until, string reason)
    {
        var now = Now;
        mirror.Update(id,
            _ => DeploymentState.Fresh with { CooldownUntil = until, CooldownReason = reason, Tripped = true, LastFailed = now, LastError = reason },
            (_, s) => s with { CooldownUntil = until, CooldownReason = reason, Tripped = true, LastFailed = now, LastError = reason });
        await WriteAsync(id, [
            new("cooldown_until", Ms(until)), new("cooldown_reason", reason), new("tripped", 1),
            new("last_failed", Ms(now)), new("last_error", reason)]);
        await AnnounceAsync(id);
    }

    /// <summary>A failure that did not cool the deployment: remembered for <c>/model/info</c> and "least recently failed".</summary>
    public async Task NoteFailureAsync(string id, string error)
    {
        var now = Now;
        mirror.Update(id, _ => DeploymentState.Fresh with { LastFailed = now, LastError = error }, (_, s) => s with { LastFailed = now, LastError = error });
        await WriteAsync(id, [new("last_failed", Ms(now)), new("last_error", error)]);
    }

    /// <summary>The deployment answered: a tripped deployment is closed again everywhere.</summary>
    public async Task RecoverAsync(string id)
    {
        mirror.Update(id, DeploymentState.Fresh, (_, s) => s with { CooldownUntil = null, CooldownReason = null, Tripped = false });
        try
        {
            var db = redis.GetDatabase();
            await Task.WhenAll(
                db.HashDeleteAsync(StateKey(id), ["cooldown_until", "cooldown_reason", "tripped"]),
                db.KeyDeleteAsync(FailuresKey(id))).WaitAsync(RedisBound);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Warn(ex);
        }

        await AnnounceAsync(id);
    }

    /// <summary>Records an active health check's verdict; an unhealthy mark lasts <paramref name="validFor"/> unless renewed.</summary>
    public async Task MarkHealthAsync(string id, string? error, TimeSpan validFor)
    {
        if (error is null)
        {
            mirror.Update(id, DeploymentState.Fresh, (_, s) => s with { UnhealthyUntil = null });
            try
            {
                await redis.GetDatabase().HashDeleteAsync(StateKey(id), "unhealthy_until").WaitAsync(RedisBound);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                Warn(ex);
            }

            await AnnounceAsync(id);
            return;
        }

        var until = Now + validFor;
        mirror.Update(id, _ => DeploymentState.Fresh with { UnhealthyUntil = until, LastError = error },
            (_, s) => s with { UnhealthyUntil = until, LastError = error });
        await WriteAsync(id, [new("unhealthy_until", Ms(until)), new("last_error", error)]);
        await AnnounceAsync(id);
    }

    /// <summary>The half-open probe: true for exactly one caller across replicas until released or <paramref name="ttl"/> passes.</summary>
    public Task<bool> TryAcquireProbeAsync(string id, TimeSpan ttl) => TryLeaseAsync(ProbeLease(id), ttl);

    public Task ReleaseProbeAsync(string id) => ReleaseLeaseAsync(ProbeLease(id));

    /// <summary>A cluster-wide lease (e.g. "one replica runs the health checks this interval").</summary>
    public Task<bool> TryAcquireLeaseAsync(string name, TimeSpan ttl) => TryLeaseAsync(name, ttl);

    /// <summary>Counts a request against the deployment's rpm for this minute; false when it is at capacity.</summary>
    public async Task<bool> TryCountRequestAsync(string id, int rpm)
    {
        var key = RequestsKey(id, Minute());
        long count;
        try
        {
            count = (long)await redis.GetDatabase().ScriptEvaluateAsync(CountRequest, new { key = (RedisKey)key }).WaitAsync(RedisBound);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Warn(ex);
            count = localCounters.AddOrUpdate(key, 1, (_, n) => n + 1);
        }

        return count <= rpm;
    }

    /// <summary>Adds a finished request's tokens to the deployment's tpm for this minute.</summary>
    public async Task AddTokensAsync(string id, long tokens)
    {
        if (tokens <= 0)
        {
            return;
        }

        var key = TokensKey(id, Minute());
        mirror.Update(id, _ => DeploymentState.Fresh with { TokensThisMinute = tokens }, (_, s) => s with { TokensThisMinute = s.TokensThisMinute + tokens });
        try
        {
            var db = redis.GetDatabase();
            await Task.WhenAll(db.StringIncrementAsync(key, tokens), db.KeyExpireAsync(key, TimeSpan.FromMinutes(2))).WaitAsync(RedisBound);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Warn(ex);
        }
    }

    /// <summary>A <see cref="RedisLease"/>; while Redis is unreachable, a lease of this replica's own.</summary>
    private async Task<bool> TryLeaseAsync(string key, TimeSpan ttl)
    {
        try
        {
            return await RedisLease.TryTakeAsync(redis.GetDatabase(), key, ttl).WaitAsync(RedisBound);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Warn(ex);
            var now = Now;
            var until = now + ttl;
            var current = localLocks.AddOrUpdate(key, until, (_, existing) => existing > now ? existing : until);
            return current == until;
        }
    }

    private async Task ReleaseLeaseAsync(string key)
    {
        localLocks.TryRemove(key, out _);
        try
        {
            await RedisLease.ReleaseAsync(redis.GetDatabase(), key).WaitAsync(RedisBound);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Warn(ex);
        }
    }

    /// <summary>Tells every replica (this one included) to re-read the deployment's state before routing to it again.</summary>
    private async Task AnnounceAsync(string id)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(DeploymentStateMirror.Channel, id).WaitAsync(RedisBound);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Warn(ex);
        }
    }

    private async Task WriteAsync(string id, HashEntry[] entries)
    {
        try
        {
            var db = redis.GetDatabase();
            await Task.WhenAll(db.HashSetAsync(StateKey(id), entries), db.KeyExpireAsync(StateKey(id), StateTtl)).WaitAsync(RedisBound);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Warn(ex);
        }
    }

    private long Minute() => Now.ToUnixTimeSeconds() / 60;

    private static bool IsRedisFailure(Exception ex) => RedisFailures.IsTransient(ex);

    private void Warn(Exception ex)
    {
        // Once every 30 s at most: an outage must not flood the log.
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref lastWarning);
        if (now - last > 30_000 && Interlocked.CompareExchange(ref lastWarning, now, last) == last)
        {
            logger.LogWarning("Redis unavailable for deployment state, using this replica's local state: {Error}", ex.Message);
        }
    }
}
