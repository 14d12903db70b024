using LlmGateway.Api.Contracts;
using LlmGateway.Api.Customers;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Management;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// LiteLLM's end customers: <c>/customer/new|update|delete|block|unblock|info|list</c>. A customer is the end user a
/// request names (<c>user</c>, Anthropic's <c>metadata.user_id</c>, or <c>x-litellm-end-user-id</c>); its budget and
/// limits are one more scope of the admission script, and a blocked customer is refused. Master key only.
/// </summary>
public static class CustomersApi
{
    private static readonly string[] Regions = ["eu", "us"];

    public static IEndpointRouteBuilder MapCustomersApi(this IEndpointRouteBuilder app)
    {
        var customers = app.MapGroup("/customer").WithTags("Customers").RequireMasterKey();
        customers.MapPost("/new", CreateAsync).WithName("CreateCustomer").WithSummary("Create an end customer with its budget and limits, or a budget_id.");
        customers.MapPost("/update", UpdateAsync).WithName("UpdateCustomer").WithSummary("Change a customer's fields.");
        customers.MapPost("/delete", DeleteAsync).WithName("DeleteCustomers").WithSummary("Delete customers (user_ids).");
        customers.MapPost("/block", (CustomerIdsRequest r, HttpContext c, [AsParameters] ManagementServices s, CustomerDirectory d) => BlockAsync(r, true, c, s, d))
            .WithName("BlockCustomers").WithSummary("Refuse every request naming these end users.");
        customers.MapPost("/unblock", (CustomerIdsRequest r, HttpContext c, [AsParameters] ManagementServices s, CustomerDirectory d) => BlockAsync(r, false, c, s, d))
            .WithName("UnblockCustomers").WithSummary("Serve these end users again.");
        customers.MapGet("/info", InfoAsync).WithName("CustomerInfo").WithSummary("A customer, its spend this period and its limits (end_user_id).");
        customers.MapGet("/list", ListAsync).WithName("ListCustomers").WithSummary("Every customer.");
        return app;
    }

    private static async Task<IResult> CreateAsync(CustomerRequest request, HttpContext context, [AsParameters] ManagementServices services, CustomerDirectory directory)
    {
        var ct = context.RequestAborted;
        var userId = EndUserId.Bounded(request.UserId);
        if (userId is null || userId != request.UserId)
        {
            return ManagementServices.Error(GatewayError.InvalidRequest(
                $"'user_id' is required: the end-user id requests send (at most {EndUserId.MaxLength} characters, no control characters).", "user_id", "invalid_value"));
        }

        if (await ValidateAsync(request, services, ct) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        if (await services.Db.Customers.AnyAsync(c => c.UserId == userId, ct))
        {
            return ManagementServices.Error(GatewayError.InvalidRequest(
                $"Customer already exists, passed user_id={userId}. Please pass a new user_id.", "user_id", "invalid_value"));
        }

        var now = DateTimeOffset.UtcNow;
        var customer = new Customer { UserId = userId, CreatedAt = now, UpdatedAt = now };
        Apply(customer, request);
        services.Db.Customers.Add(customer);
        await services.Db.SaveChangesAsync(ct);
        await directory.ChangedAsync(ct);
        return TypedResults.Ok(await ToResponseAsync(customer, services, now, ct));
    }

    private static async Task<IResult> UpdateAsync(CustomerRequest request, HttpContext context, [AsParameters] ManagementServices services, CustomerDirectory directory)
    {
        var ct = context.RequestAborted;
        var customer = await services.Db.Customers.FirstOrDefaultAsync(c => c.UserId == request.UserId, ct);
        if (customer is null)
        {
            return ManagementServices.Error(Missing(request.UserId));
        }

        if (await ValidateAsync(request, services, ct) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        Apply(customer, request);
        customer.UpdatedAt = DateTimeOffset.UtcNow;
        await services.Db.SaveChangesAsync(ct);
        await directory.ChangedAsync(ct);
        return TypedResults.Ok(await ToResponseAsync(customer, services, customer.UpdatedAt, ct));
    }

    private static async Task<IResult> DeleteAsync(CustomerIdsRequest request, HttpContext context, [AsParameters] ManagementServices services, CustomerDirectory directory)
    {
        var ct = context.RequestAborted;
        var ids = request.UserIds ?? [];
        var rows = await services.Db.Customers.Where(c => ids.Contains(c.UserId)).ToListAsync(ct);
        if (ids.Count == 0)
        {
            return ManagementServices.Error(GatewayError.InvalidRequest("'user_ids' must list at least one customer.", "user_ids", "invalid_value"));
        }

        if (ids.FirstOrDefault(id => rows.All(c => c.UserId != id)) is { } missing)
        {
            return ManagementServices.Error(Missing(missing));
        }

        services.Db.Customers.RemoveRange(rows);
        await services.Db.SaveChangesAsync(ct);
        await directory.ChangedAsync(ct);
        return TypedResults.Ok(new { deleted_customers = rows.Count, message = $"Successfully deleted customers with ids: [{string.Join(", ", ids)}]" });
    }

    private static async Task<IResult> BlockAsync(CustomerIdsRequest request, bool blocked, HttpContext context, ManagementServices services, CustomerDirectory directory)
    {
        var ct = context.RequestAborted;
        var ids = (request.UserIds ?? []).Select(EndUserId.Bounded).OfType<string>().Distinct().ToList();
        if (ids.Count == 0)
        {
            return ManagementServices.Error(GatewayError.InvalidRequest("'user_ids' must list at least one end-user id.", "user_ids", "invalid_value"));
        }

        // As LiteLLM: blocking an end user with no customer row creates one, so an unknown id can be blocked too.
        var rows = await services.Db.Customers.Where(c => ids.Contains(c.UserId)).ToListAsync(ct);
        var now = DateTimeOffset.UtcNow;
        foreach (var id in ids.Where(id => rows.All(c => c.UserId != id)))
        {
            var created = new Customer { UserId = id, CreatedAt = now, UpdatedAt = now };
            services.Db.Customers.Add(created);
            rows.Add(created);
        }

        foreach (var row in rows)
        {
            row.Blocked = blocked;
            row.UpdatedAt = now;
        }

        await services.Db.SaveChangesAsync(ct);
        await directory.ChangedAsync(ct);
        return TypedResults.Ok(new { blocked_users = rows.Select(c => c.UserId).ToList() });
    }

    private static async Task<IResult> InfoAsync(string? end_user_id, HttpContext context, [AsParameters] ManagementServices services)
    {
        var customer = await services.Db.Customers.AsNoTracking().FirstOrDefaultAsync(c => c.UserId == end_user_id, context.RequestAborted);
        return customer is null
            ? ManagementServices.Error(Missing(end_user_id))
            : TypedResults.Ok(await ToResponseAsync(customer, services, DateTimeOffset.UtcNow, context.RequestAborted));
    }

    private static async Task<IResult> ListAsync(HttpContext context, [AsParameters] ManagementServices services)
    {
        var ct = context.RequestAborted;
        var rows = await services.Db.Customers.AsNoTracking().OrderBy(c => c.CreatedAt).ThenBy(c => c.UserId).ToListAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var budgets = await services.Db.Budgets.AsNoTracking().ToDictionaryAsync(b => b.BudgetId, ct);
        var responses = new List<CustomerResponse>(rows.Count);
        foreach (var row in rows)
        {
            var budget = row.BudgetId is { } id ? budgets.GetValueOrDefault(id) : null;
            responses.Add(ToResponse(row, budget, await SpendAsync(row, budget, services, now, ct), now));
        }

        return TypedResults.Ok(responses);
    }

    /// <summary>LiteLLM answers an unknown customer with 400 and this message.</summary>
    private static GatewayError Missing(string? userId) =>
        GatewayError.InvalidRequest($"End User Id={userId} does not exist in db", "user_id", "not_found");

    private static async Task<GatewayError?> ValidateAsync(CustomerRequest request, ManagementServices services, CancellationToken ct)
    {
        if (request.AllowedModelRegion is { } region && !Regions.Contains(region))
        {
            return GatewayError.InvalidRequest($"'allowed_model_region' must be 'eu' or 'us'; got '{region}'.", "allowed_model_region", "invalid_value");
        }

        return await BudgetReferences.CheckAsync(services.Db, request.BudgetId, null, ct) ?? ManagementErrors.Validate(request.BudgetDuration, request.MaxBudget, request.SoftBudget, request.RpmLimit, request.TpmLimit, request.MaxParallelRequests);
    }

    private static void Apply(Customer customer, CustomerRequest request)
    {
        customer.Alias = request.Alias ?? customer.Alias;
        customer.Blocked = request.Blocked ?? customer.Blocked;
        request.ApplyLimits(customer);
        customer.BudgetId = BudgetReferences.Id(request.BudgetId, customer.BudgetId);
        customer.AllowedModelRegion = request.AllowedModelRegion ?? customer.AllowedModelRegion;
        customer.DefaultModel = request.DefaultModel ?? customer.DefaultModel;
    }

    private static async Task<CustomerResponse> ToResponseAsync(Customer customer, ManagementServices services, DateTimeOffset now, CancellationToken ct)
    {
        var budget = customer.BudgetId is { } id ? await services.Db.Budgets.AsNoTracking().FirstOrDefaultAsync(b => b.BudgetId == id, ct) : null;
        return ToResponse(customer, budget, await SpendAsync(customer, budget, services, now, ct), now);
    }

    /// <summary>Spend in the current period: the live counter the admission script keeps, else the ledger.</summary>
    private static Task<decimal> SpendAsync(Customer customer, Budget? budget, ManagementServices services, DateTimeOffset now, CancellationToken ct) =>
        services.Ledger.CurrentSpendAsync(LimitScope.ForCustomer(customer.UserId, CustomerRecord.From(customer, budget).BudgetDuration, customer.CreatedAt, now), ct);

    private static CustomerResponse ToResponse(Customer customer, Budget? budget, decimal spend, DateTimeOffset now)
    {
        var limits = CustomerRecord.From(customer, budget);
        return new CustomerResponse
        {
            UserId = customer.UserId,
            Alias = customer.Alias,
            Blocked = customer.Blocked,
            Spend = spend,
            AllowedModelRegion = customer.AllowedModelRegion,
            DefaultModel = customer.DefaultModel,
            BudgetId = customer.BudgetId,
            LitellmBudgetTable = limits.HasLimits || limits.SoftBudget is not null || budget is not null
                ? BudgetsApi.ToResponse(budget, limits, customer.CreatedAt, now)
                : null,
            CreatedAt = customer.CreatedAt,
            UpdatedAt = customer.UpdatedAt,
        };
    }
}
