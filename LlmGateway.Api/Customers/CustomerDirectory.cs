using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Data;
using LlmGateway.Api.Limits;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Customers;

/// <summary>
/// Every customer (and the budget objects they reference) held in memory on each replica, so the request path never
/// asks Postgres about an end user, known or not (a random <c>user</c> per request costs no query). A change made through
/// the management API reloads the writing replica before it answers and is published on Redis, reloading every other
/// replica at once; a reload every <see cref="CustomerOptions.RefreshSeconds"/> covers a missed message.
/// </summary>
public sealed class CustomerDirectory(
    IServiceScopeFactory scopes, IConnectionMultiplexer redis, GatewayReadiness readiness, GatewayConfig config,
    CustomerOptions options, ILogger<CustomerDirectory> logger) : BackgroundService
{
    public static readonly RedisChannel Channel = RedisKeys.Channel("customers:changed");
    private static readonly TimeSpan FirstLoadWait = TimeSpan.FromSeconds(5);
    private readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim wake = new(0);
    private readonly SemaphoreSlim loading = new(1, 1); // a slower, older load never replaces a newer one
    private volatile IReadOnlyDictionary<string, CustomerRecord> customers = new Dictionary<string, CustomerRecord>();

    /// <summary>How many customers this replica holds.</summary>
    public int Count => customers.Count;

    /// <summary>The customer as this replica holds it now; null when it has no row (or is not loaded yet).</summary>
    public CustomerRecord? Find(string endUserId) => customers.GetValueOrDefault(endUserId);

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

        if (!loaded.Task.IsCompleted)
        {
            await Task.WhenAny(loaded.Task, Task.Delay(FirstLoadWait)); // only the first requests after start-up
        }

        if (!customers.TryGetValue(endUserId, out var customer))
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
    public async Task ChangedAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, "changed").WaitAsync(TimeSpan.FromSeconds(1), ct);
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            logger.LogWarning("Could not publish a customer change ({Error}); other replicas see it within {Seconds} s", ex.GetType().Name, options.RefreshSeconds);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, _) => wake.Release());
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            logger.LogWarning("Could not subscribe to customer changes ({Error}); reloading every {Seconds} s", ex.GetType().Name, options.RefreshSeconds);
        }

        var refresh = TimeSpan.FromSeconds(Math.Max(1, options.RefreshSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (readiness.SchemaReady)
                {
                    await LoadAsync(stoppingToken);
                }

                await wake.WaitAsync(readiness.SchemaReady ? refresh : TimeSpan.FromMilliseconds(200), stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Customers could not be loaded ({Error}); keeping the last copy", ex.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        await loading.WaitAsync(ct);
        try
        {
            await LoadOnceAsync(ct);
        }
        finally
        {
            loading.Release();
        }
    }

    private async Task LoadOnceAsync(CancellationToken ct)
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

        customers = map;
        loaded.TrySetResult();
    }
}
