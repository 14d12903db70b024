using System.Globalization;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Limits;

/// <summary>The messages of 429s, written so a person can act on them.</summary>
public static class LimitErrors
{
    public static GatewayError RateLimited(LimitScope scope, string kind, long limit, TimeSpan retryAfter)
    {
        var seconds = (int)Math.Ceiling(Math.Max(1, retryAfter.TotalSeconds));
        return new GatewayError(StatusCodes.Status429TooManyRequests, "rate_limit_exceeded",
            $"Rate limit exceeded for {scope.DisplayName}. Limit type: {kind}. Current limit: {limit.ToString(CultureInfo.InvariantCulture)}, " +
            $"Remaining: 0. Limit resets in {seconds} s.", null, "rate_limit_exceeded")
        { RetryAfterSeconds = seconds };
    }

    public static GatewayError BudgetExceeded(LimitScope scope, decimal spent, decimal reserved, DateTimeOffset now)
    {
        var resets = scope.Window.ResetAt == DateTimeOffset.MaxValue
            ? "it does not reset (no budget_duration)"
            : $"resets {scope.Window.ResetAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}";
        var inFlight = reserved > 0 ? $" (plus ${reserved.ToString("0.####", CultureInfo.InvariantCulture)} reserved by requests in flight)" : "";
        return new GatewayError(StatusCodes.Status429TooManyRequests, "budget_exceeded",
            $"Budget exceeded for {scope.DisplayName}: spent ${spent.ToString("0.####", CultureInfo.InvariantCulture)} of " +
            $"${scope.Budget!.Value.ToString("0.####", CultureInfo.InvariantCulture)} this period{inFlight}; {resets}.", null, "budget_exceeded")
        {
            RetryAfterSeconds = scope.Window.ResetAt == DateTimeOffset.MaxValue
                ? null
                : (int)Math.Ceiling(Math.Max(1, (scope.Window.ResetAt - now).TotalSeconds)),
        };
    }
}
