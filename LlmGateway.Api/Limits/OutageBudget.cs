namespace LlmGateway.Api.Limits;

/// <summary>
/// What one replica may still admit against one budget while Redis is unreachable: its share of the remaining budget
/// as Redis last reported it, spent and reserved locally (worst cases of requests in flight) until Redis answers again.
/// </summary>
public sealed class OutageBudget(long allowanceNanos)
{
    private long used;

    public long AllowanceNanos => allowanceNanos;

    /// <summary>Spent plus reserved on this replica since the outage began.</summary>
    public long UsedNanos => Interlocked.Read(ref used);

    public bool TryReserve(long nanos)
    {
        while (true)
        {
            var current = Interlocked.Read(ref used);
            if (current + nanos > allowanceNanos)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref used, current + nanos, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Replaces a reservation by the actual cost (which may pass the allowance: the estimate-vs-actual error).</summary>
    public void Settle(long reservedNanos, long actualNanos) => Interlocked.Add(ref used, actualNanos - reservedNanos);
}
