using System.Text.Json;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Keys;

/// <summary>One of a key's <c>budget_limits</c>: a budget over its own window (e.g. $10 a day next to $100 a month).</summary>
public sealed record BudgetWindowLimit(string BudgetDuration, decimal MaxBudget);

/// <summary>Budget objects (<c>budget_id</c>) and budget windows (<c>budget_limits</c>) of keys and users, as the request path reads them.</summary>
public static class KeyBudgets
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IReadOnlyList<BudgetWindowLimit> ParseWindows(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<List<BudgetWindowLimit>>(json, Json) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public static string WriteWindows(IReadOnlyList<BudgetWindowLimit> windows) => JsonSerializer.Serialize(windows, Json);

    /// <summary>The key's and its user's budget objects applied (one query, only when either names one).</summary>
    public static async Task<KeyRecord> WithBudgetObjectsAsync(KeyRecord record, GatewayDbContext db, string? keyBudgetId, string? userBudgetId, CancellationToken ct)
    {
        if (keyBudgetId is null && userBudgetId is null)
        {
            return record;
        }

        var budgets = await db.Budgets.AsNoTracking().Where(b => b.BudgetId == keyBudgetId || b.BudgetId == userBudgetId).ToListAsync(ct);
        var keyBudget = budgets.FirstOrDefault(b => b.BudgetId == keyBudgetId);
        var userBudget = budgets.FirstOrDefault(b => b.BudgetId == userBudgetId);
        return record with
        {
            KeyLimits = Merge(record.KeyLimits, keyBudget),
            UserLimits = record.UserLimits is { } user ? Merge(user, userBudget) : null,
        };
    }

    /// <summary>Each limit the holder leaves unset comes from its budget object (LiteLLM's rate-limit tiers); the spend stays the holder's.</summary>
    public static ScopeLimits Merge(ScopeLimits limits, Budget? budget) => budget is null ? limits : limits with
    {
        MaxBudget = limits.MaxBudget ?? budget.MaxBudget,
        SoftBudget = limits.SoftBudget ?? budget.SoftBudget,
        BudgetDuration = limits.BudgetDuration ?? budget.BudgetDuration,
        RpmLimit = limits.RpmLimit ?? budget.RpmLimit,
        TpmLimit = limits.TpmLimit ?? budget.TpmLimit,
        MaxParallelRequests = limits.MaxParallelRequests ?? budget.MaxParallelRequests,
    };
}
