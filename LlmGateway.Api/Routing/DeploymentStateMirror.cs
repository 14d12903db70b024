using System.Collections.Concurrent;
using StackExchange.Redis;

namespace LlmGateway.Api.Routing;

/// <summary>
/// This replica's copy of the deployments' shared state, and when each copy was read from Redis. A copy serves the
/// router for <see cref="SnapshotTtl"/>, or until a replica announces a change to that deployment on <see cref="Channel"/>.
/// </summary>
internal sealed class DeploymentStateMirror
{
    public static readonly RedisChannel Channel = RedisKeys.Channel("deployments:changed");

    /// <summary>How long a mirrored state serves the router before it is read again from Redis.</summary>
    public static readonly TimeSpan SnapshotTtl = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, DeploymentState> states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> readAt = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> changes = new(StringComparer.Ordinal);

    public DeploymentStateMirror(IConnectionMultiplexer redis, ILogger logger)
    {
        // Restored by the multiplexer after a reconnect; until then the TTL bounds how stale the mirror gets.
        _ = redis.GetSubscriber().SubscribeAsync(Channel, (_, id) => Invalidate(id.ToString()))
            .ContinueWith(t => logger.LogWarning("Deployment state changes not subscribed ({Error}); the mirror refreshes every {Ttl}",
                t.Exception?.GetBaseException().Message, SnapshotTtl), TaskContinuationOptions.OnlyOnFaulted);
    }

    public IReadOnlyDictionary<string, DeploymentState> States => states;

    public DeploymentState Get(string id) => states.GetValueOrDefault(id, DeploymentState.Fresh);

    /// <summary>True when every one of these deployments was read from Redis within the TTL and has not changed since.</summary>
    public bool IsFresh(IReadOnlyList<string> ids)
    {
        var now = Environment.TickCount64;
        foreach (var id in ids)
        {
            if (!readAt.TryGetValue(id, out var at) || now - at > (long)SnapshotTtl.TotalMilliseconds)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>How many changes were announced for the deployment: a read that saw the count move may be stale already.</summary>
    public long ChangeCount(string id) => changes.GetValueOrDefault(id);

    /// <summary>Keeps a state read from Redis; it counts as fresh only if no change was announced while it was read.</summary>
    public void Store(string id, DeploymentState state, long readStarted, long changesBefore)
    {
        states[id] = state;
        if (changes.GetValueOrDefault(id) == changesBefore)
        {
            readAt[id] = readStarted;
        }
    }

    /// <summary>Applies a change this replica made, ahead of Redis.</summary>
    public void Update(string id, Func<string, DeploymentState> add, Func<string, DeploymentState, DeploymentState> update) =>
        states.AddOrUpdate(id, add, update);

    /// <summary>Applies a change this replica made, ahead of Redis.</summary>
    public void Update(string id, DeploymentState add, Func<string, DeploymentState, DeploymentState> update) =>
        states.AddOrUpdate(id, add, update);

    private void Invalidate(string id)
    {
        changes.AddOrUpdate(id, 1, (_, n) => n + 1);
        readAt.TryRemove(id, out _);
    }
}
