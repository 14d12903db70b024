namespace LlmGateway.Api.Pricing;

/// <summary>Costs in Redis are integers of nano-dollars (1e-9 USD): exact arithmetic in Lua, no float drift.</summary>
public static class Money
{
    public const decimal NanosPerDollar = 1_000_000_000m;

    /// <summary>Saturates at the 64-bit range (a budget past ~$9.2e9 threw, failing every request under it).</summary>
    public static long ToNanos(decimal dollars) =>
        dollars >= MaxDollars ? long.MaxValue : dollars <= -MaxDollars ? long.MinValue
        : (long)decimal.Round(dollars * NanosPerDollar, 0, MidpointRounding.AwayFromZero);

    private const decimal MaxDollars = long.MaxValue / NanosPerDollar;

    public static decimal FromNanos(long nanos) => nanos / NanosPerDollar;
}
