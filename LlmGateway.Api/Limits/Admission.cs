using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Limits;

/// <summary>The outcome of admitting a request: admitted (with what to settle later) or rejected with the error to send.</summary>
public sealed class Admission
{
    public static readonly Admission Unlimited = new() { Scopes = [] };

    public IReadOnlyList<LimitScope> Scopes { get; init; } = [];
    /// <summary>The scopes' Redis keys, as passed to the scripts (computed once per key, model and window).</summary>
    public StackExchange.Redis.RedisKey[] RedisKeys { get; init; } = [];
    public GatewayError? Rejection { get; init; }
    /// <summary>The hash tags of <see cref="RedisKeys"/>: its settle is coalesced with others of the same (<see cref="ScriptBatcher"/>).</summary>
    public string Slot { get; init; } = "";
    public string Bucket { get; init; } = "0";
    public long EstimatedTokens { get; init; }
    public long ReservedNanos { get; init; }
    /// <summary>
    /// The id its settle names in Redis when it is not the request's: an admission of a lease (<c>lease.lua</c>) has its own.
    /// </summary>
    public string? SettleId { get; init; }
    /// <summary>Admitted by the per-replica fallback while Redis was unreachable.</summary>
    public bool Local { get; init; }
    public long? RemainingRequests { get; init; }
    public long? RemainingTokens { get; init; }
    /// <summary>Spent plus reserved (USD) per budget scope after this admission, for soft-budget and 80% alerts.</summary>
    public IReadOnlyList<decimal?> BudgetUsed { get; init; } = [];

    public bool Allowed => Rejection is null;

    /// <summary>A scope of the request has <c>max_parallel_requests</c>: it holds a lease its settle gives back.</summary>
    public bool HoldsParallelLease
    {
        get
        {
            foreach (var scope in Scopes)
            {
                if (scope.Parallel is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
