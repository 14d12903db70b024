namespace LlmGateway.Api.Limits;

/// <summary>
/// The Lua scripts of the limits, assembled from the embedded <c>Scripts/*.lua</c>. <c>admit.lua</c> and <c>settle.lua</c>
/// each define one function; each is called once (the single form) or for every member of a batch (<c>batch.lua</c>), so a
/// batch runs the one definition of the logic, member after member, exactly as single calls in that order would.
/// </summary>
public static class LimitScripts
{
    private static readonly string AdmitStep = Read("admit.lua");
    private static readonly string SettleStep = Read("settle.lua");
    private static readonly string BatchLoop = Read("batch.lua");

    public static readonly RedisScript Admit = new(AdmitStep + "\nreturn admit(KEYS, ARGV, admit_clock())\n");
    public static readonly RedisScript Settle = new(SettleStep + "\nreturn settle(KEYS, ARGV)\n");

    /// <summary>Admissions of one hash slot in one call (Redis' clock read once): one result per member, in order.</summary>
    public static readonly RedisScript AdmitBatch = new(AdmitStep + "\nlocal now = admit_clock()\n" + BatchLoop.Replace("STEP(keys, argv)", "admit(keys, argv, now)", StringComparison.Ordinal));

    /// <summary>Settles of one hash slot in one call: one result per member, in order.</summary>
    public static readonly RedisScript SettleBatch = new(SettleStep + "\n" + BatchLoop.Replace("STEP(keys, argv)", "settle(keys, argv)", StringComparison.Ordinal));

    public static readonly RedisScript Replay = new(Read("replay.lua"));

    public static string Read(string name)
    {
        using var stream = typeof(LimitScripts).Assembly.GetManifestResourceStream($"LlmGateway.Api.Limits.Scripts.{name}")
            ?? throw new InvalidOperationException($"Embedded script {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
