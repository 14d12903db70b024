namespace LlmGateway.Api.Limits;

/// <summary>Limits settings (section <c>Gateway:Limits</c>).</summary>
public sealed class LimitsOptions
{
    /// <summary>When Redis is unreachable: false (default) keeps serving with per-replica limits; true answers 503.</summary>
    public bool FailClosed { get; set; }

    /// <summary>
    /// The share of a limit, and of a budget's remaining headroom, one replica may use while Redis is unreachable
    /// (0 to 1). Unset (default): 1 ÷ the number of replicas last seen in Redis.
    /// </summary>
    public double? OutageShare { get; set; }

    /// <summary>How often a replica marks itself alive in Redis, for the replica count behind <see cref="OutageShare"/>.</summary>
    public TimeSpan ReplicaHeartbeat { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many admission (and settle) script calls one hash slot (a team's or a key's counters) may have in flight at once;
    /// calls arriving beyond that wait for one to return and go together in one script call (at most 64). Default 1.
    /// </summary>
    public int BatchesInFlight { get; set; } = 1;

    /// <summary>
    /// How long a settle may wait for its slot's next script call before it is sent alone (default 10 ms; 0 sends it at once
    /// when the slot is idle): one loop sends the waiting settles of idle slots every this long, while any wait. A sequential
    /// client's next admission then carries its previous request's settle: one Redis round trip per request. Meanwhile the
    /// reservation (at least the cost) stays counted, so budgets stay exact.
    /// </summary>
    public TimeSpan SettleLinger { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Leased admission (on by default; false turns it off; docs/governance.md "Leased admission"): a replica takes a few
    /// admissions of a key's limits from Redis ahead of time and admits the key's next requests on them with no Redis call on
    /// their path. Exact like the admission per request (every leased admission is counted in Redis when granted), never
    /// near a limit.
    /// </summary>
    public bool Leases { get; set; } = true;

    /// <summary>How many admissions a replica's first lease for a key takes (it doubles while leases run out fast, up to 256).</summary>
    public int LeaseSize { get; set; } = 16;

    /// <summary>How long a lease may be used before what it did not use is given back (default 250 ms; at most 5 s).</summary>
    public TimeSpan LeaseLife { get; set; } = TimeSpan.FromMilliseconds(250);
}
