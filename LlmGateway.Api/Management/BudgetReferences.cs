using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data;
using LlmGateway.Api.Keys;
using LlmGateway.Api.Limits;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Management;

/// <summary><c>budget_id</c> and <c>budget_limits</c> on keys, users and customers: checked, then stored.</summary>
public static class BudgetReferences
{
    /// <summary>The message that makes every replica reload its key records after a budget object changed.</summary>
    public static string ChangeMessage(string budgetId) => "budget:" + budgetId;

    public static async Task<GatewayError?> CheckAsync(GatewayDbContext db, string? budgetId, IReadOnlyList<BudgetWindowLimit>? windows, CancellationToken ct)
    {
        if (budgetId is { Length: > 0 } id && !await db.Budgets.AnyAsync(b => b.BudgetId == id, ct))
        {
            return GatewayError.InvalidRequest($"'budget_id' names no budget: '{id}' (create it with POST /budget/new).", "budget_id", "invalid_value");
        }

        foreach (var window in windows ?? [])
        {
            if (window is null || !BudgetWindow.TryParseDuration(window.BudgetDuration, out _, out _) || window.MaxBudget is < 0 or > ManagementErrors.MaxDollars)
            {
                return GatewayError.InvalidRequest(
                    "Each of 'budget_limits' must be {\"budget_duration\": \"1d\", \"max_budget\": 10}: a duration like 30m, 24h, 7d or 1mo and a budget of 0 to 1,000,000,000.",
                    "budget_limits", "invalid_value");
            }
        }

        return windows is { Count: > 0 } && windows.Select(w => w.BudgetDuration).Distinct().Count() != windows.Count
            ? GatewayError.InvalidRequest("'budget_limits' has two windows of the same budget_duration.", "budget_limits", "invalid_value")
            : null;
    }

    /// <summary>The stored <c>budget_id</c>: unchanged when absent, cleared by an empty string.</summary>
    public static string? Id(string? requested, string? current) => requested is null ? current : requested.Length == 0 ? null : requested;

    public static string Windows(IReadOnlyList<BudgetWindowLimit>? requested, string current) =>
        requested is null ? current : KeyBudgets.WriteWindows(requested);
}
