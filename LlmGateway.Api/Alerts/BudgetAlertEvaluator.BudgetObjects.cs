using LlmGateway.Api.Customers;
using LlmGateway.Api.Data;
using LlmGateway.Api.Keys;
using LlmGateway.Api.Limits;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Alerts;

/// <summary>
/// The budgets a budget object (<c>budget_id</c>) gives its holders, and customers' own: alerted like a key's or a team's
/// (80%, 100%, <c>soft_budget</c> crossed), each holder on its own spend.
/// </summary>
public sealed partial class BudgetAlertEvaluator
{
    private static async Task<List<Subject>> BudgetObjectSubjectsAsync(GatewayDbContext db, DateTimeOffset now, CancellationToken ct)
    {
        var budgets = await db.Budgets.AsNoTracking().Where(b => b.MaxBudget != null || b.SoftBudget != null).ToDictionaryAsync(b => b.BudgetId, ct);
        var ids = budgets.Keys.ToList();
        var subjects = new List<Subject>();
        // Keys with a budget of their own are evaluated already; these take theirs from the budget object.
        var keys = await db.VirtualKeys.AsNoTracking()
            .Where(k => k.BudgetId != null && ids.Contains(k.BudgetId) && k.MaxBudget == null && k.SoftBudget == null && !k.Blocked)
            .Select(k => new { k.Token, k.KeyAlias, k.KeyName, k.TeamId, k.BudgetId, k.BudgetDuration, k.CreatedAt })
            .ToListAsync(ct);
        foreach (var k in keys)
        {
            var budget = budgets[k.BudgetId!];
            var name = k.KeyAlias ?? k.KeyName;
            subjects.Add(new Subject(LimitScope.ForKey(k.Token, k.TeamId, name, k.BudgetDuration ?? budget.BudgetDuration, k.CreatedAt, now),
                name, k.TeamId, name, budget.MaxBudget, budget.SoftBudget));
        }

        var users = await db.InternalUsers.AsNoTracking().Where(u => u.BudgetId != null && ids.Contains(u.BudgetId)).ToListAsync(ct);
        foreach (var u in users)
        {
            var limits = KeyBudgets.Merge(new ScopeLimits { MaxBudget = u.MaxBudget, SoftBudget = u.SoftBudget, BudgetDuration = u.BudgetDuration }, budgets[u.BudgetId!]);
            subjects.Add(new Subject(LimitScope.ForUser(u.UserId, u.UserAlias ?? u.UserId, limits.BudgetDuration, u.CreatedAt, now),
                u.UserAlias ?? u.UserId, null, null, limits.MaxBudget, limits.SoftBudget));
        }

        var customers = await db.Customers.AsNoTracking()
            .Where(c => !c.Blocked && (c.MaxBudget != null || c.SoftBudget != null || (c.BudgetId != null && ids.Contains(c.BudgetId))))
            .ToListAsync(ct);
        foreach (var c in customers)
        {
            var limits = CustomerRecord.From(c, c.BudgetId is { } id ? budgets.GetValueOrDefault(id) : null);
            subjects.Add(new Subject(LimitScope.ForCustomer(c.UserId, limits.BudgetDuration, c.CreatedAt, now), c.Alias ?? c.UserId, null, null, limits.MaxBudget, limits.SoftBudget));
        }

        return subjects;
    }
}
