using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// How many Api replicas share this Redis, so that during an outage each admits only its share of a budget. Every replica
/// marks itself in one sorted set every <see cref="LimitsOptions.ReplicaHeartbeat"/> and counts the marks younger than
/// four heartbeats; the last count is kept while Redis is unreachable (1 until the first answer).
/// </summary>
public sealed class ReplicaCount(IConnectionMultiplexer redis, OutageReplay replay, LimitsOptions options, ILogger<ReplicaCount> logger) : BackgroundService
{
    private static readonly RedisKey Key = RedisKeys.Prefix + "replicas";
    private readonly string instance = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private int count = 1;

    public int Current => Volatile.Read(ref count);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ReplicaHeartbeat);
        do
        {
            await BeatAsync();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task BeatAsync()
    {
        try
        {
            var db = redis.GetDatabase();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var add = db.SortedSetAddAsync(Key, instance, now);
            var prune = db.SortedSetRemoveRangeByScoreAsync(Key, double.NegativeInfinity, now - 4 * options.ReplicaHeartbeat.TotalMilliseconds);
            var live = db.SortedSetLengthAsync(Key);
            await Task.WhenAll(add, prune, live).WaitAsync(TimeSpan.FromSeconds(2));
            Volatile.Write(ref count, (int)Math.Max(1, live.Result));
            if (!replay.IsEmpty)
            {
                await replay.FlushAsync(); // an outage's settles are counted even if no request comes to trigger it
            }
        }
        catch (Exception ex)
        {
            // Anything at all: a background service that throws stops the whole host (seen: an internal
            // InvalidOperationException of StackExchange.Redis while Redis was frozen).
            logger.LogDebug("Replica heartbeat failed ({Error}); keeping the count of {Count}", ex.GetType().Name, Current);
        }
    }
}
