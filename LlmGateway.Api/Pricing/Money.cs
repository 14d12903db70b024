namespace LlmGateway.Api.Pricing;

/// <summary>Costs in Redis are integers of nano-dollars (1e-9 USD): exact arithmetic in Lua, no float drift.</summary>
public static class Money
{
    public const decimal NanosPerDollar = 1_000_000_000m;

    public static long ToNanos(decimal dollars) => (long)decimal.Round(dollars * NanosPerDollar, 0, MidpointRounding.AwayFromZero);

    public static decimal FromNanos(long nanos) => nanos / NanosPerDollar;
}
