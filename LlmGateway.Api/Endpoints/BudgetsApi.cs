using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Customers;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Management;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// LiteLLM's budget objects: <c>/budget/new|update|delete|info|list</c>. A budget object is a tier of limits that customers
/// reference by <c>budget_id</c>; each holder keeps its own spend, and an update reaches every holder at once. Master key only.
/// </summary>
public static class BudgetsApi
{
    public static IEndpointRouteBuilder MapBudgetsApi(this IEndpointRouteBuilder app)
    {
        var budgets = app.MapGroup("/budget").WithTags("Budgets").RequireMasterKey();
        budgets.MapPost("/new", CreateAsync).WithName("CreateBudget").WithSummary("Create a budget object (a tier of limits).");
        budgets.MapPost("/update", UpdateAsync).WithName("UpdateBudget").WithSummary("Change a budget object; every holder's limits change with it.");
        budgets.MapPost("/delete", DeleteAsync).WithName("DeleteBudget").WithSummary("Delete a budget object no one holds (id).");
        budgets.MapPost("/info", InfoAsync).WithName("BudgetInfo").WithSummary("The budget objects named in budgets[].");
        budgets.MapGet("/list", ListAsync).WithName("ListBudgets").WithSummary("Every budget object.");
        return app;
    }

    private static async Task<IResult> CreateAsync(BudgetRequest request, HttpContext context, [AsParameters] ManagementServices services, CustomerDirectory directory)
    {
        var ct = context.RequestAborted;
        if (Validate(request) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        var budgetId = string.IsNullOrWhiteSpace(request.BudgetId) ? Guid.NewGuid().ToString() : request.BudgetId.Trim();
        if (budgetId.Length > 128 || await services.Db.Budgets.AnyAsync(b => b.BudgetId == budgetId, ct))
        {
            return ManagementServices.Error(GatewayError.InvalidRequest(
                $"A budget with budget_id '{budgetId}' already exists (or the id is over 128 characters).", "budget_id", "invalid_value"));
        }

        var now = DateTimeOffset.UtcNow;
        var budget = new Budget { BudgetId = budgetId, CreatedAt = now, UpdatedAt = now };
        Apply(budget, request);
        services.Db.Budgets.Add(budget);
        await services.Db.SaveChangesAsync(ct);
        return TypedResults.Ok(ToResponse(budget, now));
    }

    private static async Task<IResult> UpdateAsync(BudgetRequest request, HttpContext context, [AsParameters] ManagementServices services, CustomerDirectory directory)
    {
        var ct = context.RequestAborted;
        var budget = await services.Db.Budgets.FirstOrDefaultAsync(b => b.BudgetId == request.BudgetId, ct);
        if (budget is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Budget '{request.BudgetId}'", "budget_id"));
        }

        if (Validate(request) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        Apply(budget, request);
        budget.UpdatedAt = DateTimeOffset.UtcNow;
        await services.Db.SaveChangesAsync(ct);
        await directory.ChangedAsync(ct); // every holder's limits, on every replica: customers, then keys and users
        await services.Keys.PublishChangeAsync(BudgetReferences.ChangeMessage(budget.BudgetId));
        return TypedResults.Ok(ToResponse(budget, budget.UpdatedAt));
    }

    private static async Task<IResult> DeleteAsync(BudgetDeleteRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var ct = context.RequestAborted;
        var budget = await services.Db.Budgets.FirstOrDefaultAsync(b => b.BudgetId == request.Id, ct);
        if (budget is null)
        {
            return ManagementServices.Error(ManagementErrors.NotFound($"Budget '{request.Id}'", "id"));
        }

        var holders = await services.Db.Customers.CountAsync(c => c.BudgetId == budget.BudgetId, ct)
            + await services.Db.VirtualKeys.CountAsync(k => k.BudgetId == budget.BudgetId, ct)
            + await services.Db.InternalUsers.CountAsync(u => u.BudgetId == budget.BudgetId, ct);
        if (holders > 0)
        {
            return ManagementServices.Error(GatewayError.InvalidRequest(
                $"Budget '{budget.BudgetId}' is held by {holders} customer(s), key(s) or user(s); give them another budget_id first.", "id", "budget_in_use"));
        }

        services.Db.Budgets.Remove(budget);
        await services.Db.SaveChangesAsync(ct);
        return TypedResults.Ok(ToResponse(budget, DateTimeOffset.UtcNow));
    }

    private static async Task<IResult> InfoAsync(BudgetInfoRequest request, HttpContext context, [AsParameters] ManagementServices services)
    {
        var ids = request.Budgets ?? [];
        if (ids.Count == 0)
        {
            return ManagementServices.Error(GatewayError.InvalidRequest("'budgets' must list at least one budget_id.", "budgets", "invalid_value"));
        }

        var rows = await services.Db.Budgets.AsNoTracking().Where(b => ids.Contains(b.BudgetId)).OrderBy(b => b.CreatedAt).ToListAsync(context.RequestAborted);
        var now = DateTimeOffset.UtcNow;
        return TypedResults.Ok(rows.Select(b => ToResponse(b, now)).ToList());
    }

    private static async Task<IResult> ListAsync(HttpContext context, [AsParameters] ManagementServices services)
    {
        var rows = await services.Db.Budgets.AsNoTracking().OrderBy(b => b.CreatedAt).ThenBy(b => b.BudgetId).ToListAsync(context.RequestAborted);
        var now = DateTimeOffset.UtcNow;
        return TypedResults.Ok(rows.Select(b => ToResponse(b, now)).ToList());
    }

    private static GatewayError? Validate(BudgetRequest request) =>
        request.ModelMaxBudget is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) }
            ? GatewayError.InvalidRequest("'model_max_budget' must be an object of model name to budget.", "model_max_budget", "invalid_value")
            : ManagementErrors.Validate(request.BudgetDuration, request.MaxBudget, request.SoftBudget, request.RpmLimit, request.TpmLimit, request.MaxParallelRequests);

    private static void Apply(Budget budget, BudgetRequest request)
    {
        request.ApplyLimits(budget);
        budget.ModelMaxBudget = ManagementMapping.Json(request.ModelMaxBudget, budget.ModelMaxBudget);
    }

    public static BudgetResponse ToResponse(Budget budget, DateTimeOffset now) => new()
    {
        BudgetId = budget.BudgetId,
        MaxBudget = budget.MaxBudget,
        SoftBudget = budget.SoftBudget,
        MaxParallelRequests = budget.MaxParallelRequests,
        TpmLimit = budget.TpmLimit,
        RpmLimit = budget.RpmLimit,
        BudgetDuration = budget.BudgetDuration,
        BudgetResetAt = ManagementMapping.ResetAt(budget.BudgetDuration, budget.CreatedAt, now),
        ModelMaxBudget = JsonDocument.Parse(budget.ModelMaxBudget).RootElement.Clone(),
        CreatedAt = budget.CreatedAt,
        UpdatedAt = budget.UpdatedAt,
    };

    /// <summary>A holder's <c>litellm_budget_table</c>: the limits in force for it (its own, else its budget object's).</summary>
    public static BudgetResponse ToResponse(Budget? budget, CustomerRecord limits, DateTimeOffset anchor, DateTimeOffset now) =>
        (budget is null ? new BudgetResponse() : ToResponse(budget, now)) with
        {
            MaxBudget = limits.MaxBudget,
            SoftBudget = limits.SoftBudget,
            MaxParallelRequests = limits.MaxParallelRequests,
            TpmLimit = limits.TpmLimit,
            RpmLimit = limits.RpmLimit,
            BudgetDuration = limits.BudgetDuration,
            BudgetResetAt = ManagementMapping.ResetAt(limits.BudgetDuration, anchor, now),
        };
}
