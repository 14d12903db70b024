using StackExchange.Redis;

namespace LlmGateway.Api;

/// <summary>What a slow or gone Redis throws, so that every caller treats it the same way: a miss, a local view, the outage policy.</summary>
public static class RedisFailures
{
    /// <summary>
    /// Also a cancelled task (StackExchange.Redis cancels the commands it abandons when a connection fails: a caller that
    /// let <see cref="TaskCanceledException"/> through turned a frozen Redis into a 500) and an
    /// <see cref="InvalidOperationException"/> (its pipe reader, seen completing under a command while Redis was frozen).
    /// </summary>
    public static bool IsTransient(Exception ex) =>
        ex is RedisException or TimeoutException or ObjectDisposedException or OperationCanceledException or InvalidOperationException;
}
