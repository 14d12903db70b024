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

        return null;
    }
}
