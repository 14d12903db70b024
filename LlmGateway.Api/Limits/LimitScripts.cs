namespace LlmGateway.Api.Limits;

/// <summary>
/// The Lua scripts of the limits, assembled from the embedded <c>Scripts/*.lua</c>. <c>admit.lua</c> and <c>settle.lua</c>
/// each define one function deciding a list of requests in order on state read once per counter and written once; the
/// single form passes it one request, the batch form (<c>batch.lua</c>) a batch's, so both run the one definition of the
/// logic, and a batch answers and counts exactly as single calls in that order would.
/// </summary>
public static class LimitScripts
{
    private static readonly string AdmitStep = Read("admit.lua");
    private static readonly string SettleStep = Read("settle.lua");
    private static readonly string BatchMembers = Read("batch.lua");

    public static readonly RedisScript Admit = new(AdmitStep + "\nreturn admit_members({{KEYS, ARGV}}, admit_clock())[1]\n");
    public static readonly RedisScript Settle = new(SettleStep + "\nreturn settle_members({{KEYS, ARGV}})[1]\n");

    /// <summary>Admissions of one hash slot in one call (Redis' clock read once): one result per member, in order.</summary>
    public static readonly RedisScript AdmitBatch = new(AdmitStep + "\n" + BatchMembers + "\nreturn admit_members(batch_members(KEYS, ARGV), admit_clock())\n");

    /// <summary>Settles of one hash slot in one call: one result per member, in order.</summary>
    public static readonly RedisScript SettleBatch = new(SettleStep + "\n" + BatchMembers + "\nreturn settle_members(batch_members(KEYS, ARGV))\n");

    /// <summary>
    /// Settles and admissions of one hash slot in one call, the settles first (a request's lease and reservation given back
    /// before the next request of its client is decided): one result per member, in order. The last argument is how many
    /// of the members are settles.
    /// </summary>
    public static readonly RedisScript SettleThenAdmit = new(AdmitStep + "\n" + SettleStep + "\n" + BatchMembers + "\n" + Read("mixed.lua"));

    public static readonly RedisScript Replay = new(Read("replay.lua"));

    private static readonly string LeaseSteps = AdmitStep + "\n" + SettleStep + "\n" + Read("lease.lua");

    /// <summary>A lease of admissions for one key's scopes (<c>lease.lua</c>, <see cref="LimitsGate"/>'s leases).</summary>
    public static readonly RedisScript LeaseGrant = new(LeaseSteps + "\nreturn lease_grant(KEYS, ARGV, admit_clock())\n");

    /// <summary>Gives back what a lease did not use.</summary>
    public static readonly RedisScript LeaseReturn = new(LeaseSteps + "\nreturn lease_return(KEYS, ARGV, admit_clock())\n");

    public static string Read(string name)
    {
        using var stream = typeof(LimitScripts).Assembly.GetManifestResourceStream($"LlmGateway.Api.Limits.Scripts.{name}")
            ?? throw new InvalidOperationException($"Embedded script {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
