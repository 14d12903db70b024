using LlmGateway.Api.Contracts;
using LlmGateway.Api.Limits;

namespace LlmGateway.Api.Management;

/// <summary>Validation of management requests, with errors that name the field.</summary>
public static class ManagementErrors
{
    public static GatewayError NotFound(string what, string param) =>
        new(StatusCodes.Status404NotFound, "not_found_error", $"{what} was not found.", param, "not_found");

    public static GatewayError? Validate(string? budgetDuration, decimal? maxBudget, decimal? softBudget, long? rpm, long? tpm, int? parallel, string? duration = null)
    {
        if (budgetDuration is not null && !BudgetWindow.TryParseDuration(budgetDuration, out _, out _))
        {
            return GatewayError.InvalidRequest($"'budget_duration' must look like 30s, 30m, 24h, 7d, 30d or 1mo; got '{budgetDuration}'.", "budget_duration", "invalid_value");
        }

        if (duration is not null && (!BudgetWindow.TryParseDuration(duration, out _, out var month) || month))
        {
            return GatewayError.InvalidRequest($"'duration' must look like 30s, 30m, 24h or 30d; got '{duration}'.", "duration", "invalid_value");
        }

        foreach (var (name, value) in new (string, decimal?)[] { ("max_budget", maxBudget), ("soft_budget", softBudget), ("rpm_limit", rpm), ("tpm_limit", tpm), ("max_parallel_requests", parallel) })
        {
            if (value < 0)
            {
                return GatewayError.InvalidRequest($"'{name}' must not be negative.", name, "invalid_value");
            }
        }

        return Money("max_budget", maxBudget) ?? Money("soft_budget", softBudget);
    }

    /// <summary>
    /// The largest budget (USD): a billion dollars. Budgets are counted in nano-dollars in a 64-bit integer (past ~$9.2e9 an
    /// admission failed, every request a 500) and stored as <c>numeric(18,8)</c> (past ~$1e10 the write failed, a 500).
    /// </summary>
    public const decimal MaxDollars = 1_000_000_000m;

    /// <summary>A dollar amount an admin sets: 0 to <see cref="MaxDollars"/>, else a 400 naming it.</summary>
    public static GatewayError? Money(string name, decimal? value) =>
        value is < 0 or > MaxDollars
            ? GatewayError.InvalidRequest($"'{name}' must be between 0 and {MaxDollars:0} (USD); got {value}.", name, "invalid_value")
            : null;

    /// <summary>A key's per-model limits: each 0 or more (a negative one read as "no limit"), budgets at most <see cref="MaxDollars"/>.</summary>
    public static GatewayError? PerModel(Dictionary<string, decimal>? budgets, Dictionary<string, long>? rpm, Dictionary<string, long>? tpm)
    {
        foreach (var budget in budgets?.Values ?? Enumerable.Empty<decimal>())
        {
            if (Money("model_max_budget", budget) is { } error)
            {
                return error;
            }
        }

        foreach (var (name, limits) in new[] { ("model_rpm_limit", rpm), ("model_tpm_limit", tpm) })
        {
            if ((limits?.Values ?? Enumerable.Empty<long>()).FirstOrDefault(v => v < 0) is var negative and < 0)
            {
                return GatewayError.InvalidRequest($"Each of '{name}' must be 0 or more; got {negative}.", name, "invalid_value");
            }
        }

        return null;
    }
}
