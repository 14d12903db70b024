using LlmGateway.Api.Keys;

namespace LlmGateway.Api.Limits;

/// <summary>A key's <c>budget_limits</c>: each window one more scope, so the 429 names the window that refused.</summary>
public sealed partial class LimitsGate
{
    private static void AddBudgetWindows(KeyRecord key, List<LimitScope> scopes, DateTimeOffset now)
    {
        foreach (var window in key.BudgetWindows)
        {
            scopes.Add(new LimitScope("key-window", $"{key.Token}:{window.BudgetDuration}",
                $"key '{key.DisplayName}' ({window.BudgetDuration} budget window)", LimitScope.TagFor(key.TeamId, key.Token))
            {
                Window = BudgetWindow.For(window.BudgetDuration, key.KeyLimits.BudgetAnchor, now),
                Budget = window.MaxBudget,
                LedgerKeyHash = key.Token,
            });
        }
    }
}
