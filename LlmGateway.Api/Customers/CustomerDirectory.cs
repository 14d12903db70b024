using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Replication;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Customers;

/// <summary>
/// Every customer (and the budget objects they reference) held in memory on each replica, so the request path never
/// asks Postgres about an end user, known or not (a random <c>user</c> per request costs no query). A replicated table
/// (<see cref="ReplicatedTable{T}"/>): reloaded on a change here, announced to every replica, polled every
/// <see cref="CustomerOptions.RefreshSeconds"/>.
/// </summary>
public sealed class CustomerDirectory : BackgroundService
{
    public static readonly RedisChannel Channel = RedisKeys.Channel("customers:changed");

    /// <summary>The longest a request waits for the first load after a start (none once a load failed): as long as a key lookup's query.</summary>
    private static readonly TimeSpan FirstLoadWait = TimeSpan.FromSeconds(1);
    private readonly IServiceScopeFactory scopes;
    private readonly GatewayConfig config;
    private readonly CustomerOptions options;
    private readonly ReplicatedTable<IReadOnlyDictionary<string, CustomerRecord>> table;

    public CustomerDirectory(IServiceScopeFactory scopes, ReplicatedTables tables, GatewayConfig config, CustomerOptions options)
    {
        this.scopes = scopes;
        this.config = config;
        this.options = options;
        table = tables.Create<IReadOnlyDictionary<string, CustomerRecord>>("the customers", Channel, new Dictionary<string, CustomerRecord>(),
            TimeSpan.FromSeconds(Math.Max(1, options.RefreshSeconds)), LoadAsync);
    }

    /// <summary>How many customers this replica holds.</summary>
    public int Count => table.Current.Count;

    /// <summary>This replica's copy of the customers.</summary>
    public ReplicatedTable<IReadOnlyDictionary<string, CustomerRecord>> Table => table;

    /// <summary>The customer as this replica holds it now; null when it has no row (or is not loaded yet).</summary>
    public CustomerRecord? Find(string endUserId) => table.Current.GetValueOrDefault(endUserId);

    /// <summary>
    /// The request's end-user scope: the customer's limits, or <c>max_end_user_budget</c> for an id with no customer row
    /// (each such id its own scope); null when nothing limits it. A blocked customer is refused here.
    /// </summary>
    public async ValueTask<(LimitScope? Scope, GatewayError? Refusal)> ScopeForAsync(string? endUserId, DateTimeOffset now)
    {
        if (endUserId is null)
        {
            return (null, null);
        }

        if (!table.Loaded)
        {
            await table.LoadedAsync(FirstLoadWait, CancellationToken.None); // only the first requests after start-up
        }

        if (!table.Current.TryGetValue(endUserId, out var customer))
        {
            return config.LitellmSettings.MaxEndUserBudget is { } budget
                ? (LimitScope.ForCustomer(endUserId, null, default, now) with
                {
                    Budget = budget,
                    CounterLifetime = TimeSpan.FromMinutes(Math.Max(1, options.UnknownEndUserCounterMinutes)),
                }, null)
                : (null, null);
        }

        if (customer.Blocked)
        {
            return (null, new GatewayError(StatusCodes.Status403Forbidden, "permission_denied",
                $"End User={customer.UserId} is blocked. Let the proxy admin know.", "user", "end_user_blocked"));
        }

        return customer.HasLimits
            ? (LimitScope.ForCustomer(customer.UserId, customer.BudgetDuration, customer.CreatedAt, now) with
            {
                Rpm = customer.RpmLimit,
                Tpm = customer.TpmLimit,
                Parallel = customer.MaxParallelRequests,
                Budget = customer.MaxBudget,
            }, null)
            : (null, null);
    }

    /// <summary>After a management write: reloads here before the caller answers, then tells every other replica.</summary>
    public Task ChangedAsync(CancellationToken ct) => table.PublishChangeAsync(ct);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => table.RunAsync(stoppingToken);

    private async Task<IReadOnlyDictionary<string, CustomerRecord>> LoadAsync(IReadOnlyDictionary<string, CustomerRecord> _, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var budgets = await db.Budgets.AsNoTracking().ToDictionaryAsync(b => b.BudgetId, StringComparer.Ordinal, ct);
        var rows = await db.Customers.AsNoTracking().ToListAsync(ct);
        var map = new Dictionary<string, CustomerRecord>(rows.Count, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            map[row.UserId] = CustomerRecord.From(row, row.BudgetId is { } id ? budgets.GetValueOrDefault(id) : null);
        }

        return map;
    }
}
