using System.Collections.Concurrent;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Keys;
using LlmGateway.Api.Limits;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Alerts;

/// <summary>
/// Every <see cref="AlertOptions.EvaluationInterval"/>, one replica (a Redis lease) reads the current-period spend of
/// every team and key with a budget and records each threshold crossed. Never on the request path.
/// </summary>
public sealed partial class BudgetAlertEvaluator(
    IServiceScopeFactory scopes,
    LedgerSeeder ledger,
    AlertStore store,
    AlertDelivery delivery,
    AlertSetup setup,
    IConnectionMultiplexer redis,
    GatewayReadiness readiness,
    TimeProvider clock,
    ILogger<BudgetAlertEvaluator> logger) : BackgroundService
{
    private const string Lease = "alerts-evaluator";
    // Thresholds already recorded (by any replica): skips the insert next time. Bounded by a reset.
    private readonly ConcurrentDictionary<string, byte> recorded = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(setup.Options.EvaluationInterval, clock);
        do
        {
            if (!readiness.SchemaReady || !await TryLeaseAsync())
            {
                continue;
            }

            try
            {
                await EvaluateAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Budget alert evaluation failed ({Error}); trying again next interval", ex.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One pass over every budget; returns how many alerts this call recorded.</summary>
    public async Task<int> EvaluateAsync(CancellationToken ct)
    {
        var hardOn = setup.Sends("budget_alerts");
        var softOn = hardOn || setup.Sends(AlertTypes.SoftBudget);
        if (!softOn)
        {
            return 0;
        }

        if (recorded.Count > 100_000)
        {
            recorded.Clear();
        }

        var now = clock.GetUtcNow();
        var inserted = 0;
        foreach (var subject in await SubjectsAsync(now, ct))
        {
            var spend = await ledger.CurrentSpendAsync(subject.Scope, ct);
            var window = subject.Scope.Window;
            DateTimeOffset? resetsAt = window.ResetAt == DateTimeOffset.MaxValue ? null : window.ResetAt;
            if (hardOn && subject.Budget is > 0m and var budget)
            {
                foreach (var threshold in setup.Options.Thresholds.Where(t => spend >= t * budget))
                {
                    inserted += await RecordAsync(subject, AlertTypes.Budget, threshold >= 1m ? "critical" : "warning", threshold, spend, budget,
                        AlertText.Budget(subject.Scope.Kind, subject.Name, threshold, spend, budget, resetsAt), resetsAt, now, ct);
                }
            }

            if (softOn && subject.SoftBudget is > 0m and var soft && spend >= soft)
            {
                inserted += await RecordAsync(subject, AlertTypes.SoftBudget, "warning", 1m, spend, soft,
                    AlertText.SoftBudget(subject.Scope.Kind, subject.Name, spend, soft, resetsAt), resetsAt, now, ct);
            }
        }

        return inserted;
    }

    private async Task<int> RecordAsync(Subject subject, string type, string severity, decimal threshold, decimal spend, decimal budget,
        string message, DateTimeOffset? resetsAt, DateTimeOffset now, CancellationToken ct)
    {
        threshold = Math.Round(threshold, 4);
        var periodStart = subject.Scope.Window.Start.ToUniversalTime();
        var id = $"{type}|{subject.Scope.Kind}|{subject.Scope.Id}|{threshold}|{periodStart.UtcTicks}";
        if (recorded.ContainsKey(id))
        {
            return 0;
        }

        var alert = new Alert
        {
            Id = Guid.CreateVersion7(now),
            Type = type,
            Severity = severity,
            Scope = subject.Scope.Kind,
            ScopeId = subject.Scope.Id,
            Name = subject.Name,
            TeamId = subject.TeamId,
            KeyAlias = subject.KeyAlias,
            Threshold = threshold,
            Spend = spend,
            Budget = budget,
            PeriodStart = periodStart,
            ResetsAt = resetsAt?.ToUniversalTime(),
            Message = message,
            CreatedAt = now.ToUniversalTime(),
        };
        delivery.Prepare(alert, alert.CreatedAt);
        var inserted = await store.TryInsertAsync(alert, ct);
        recorded.TryAdd(id, 0);
        if (inserted)
        {
            logger.LogInformation("Alert {Type} recorded for {Scope} {Name} at {Threshold}", type, subject.Scope.Kind, subject.Name, threshold);
        }

        return inserted ? 1 : 0;
    }

    private async Task<List<Subject>> SubjectsAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var teams = await db.Teams.AsNoTracking()
            .Where(t => (t.MaxBudget != null || t.SoftBudget != null) && !t.Blocked)
            .Select(t => new { t.TeamId, t.TeamAlias, t.MaxBudget, t.SoftBudget, t.BudgetDuration, t.CreatedAt })
            .ToListAsync(ct);
        var keys = await db.VirtualKeys.AsNoTracking()
            .Where(k => (k.MaxBudget != null || k.SoftBudget != null) && !k.Blocked)
            .Select(k => new { k.Token, k.KeyAlias, k.KeyName, k.TeamId, k.MaxBudget, k.SoftBudget, k.TempBudgetIncrease, k.TempBudgetExpiry, k.BudgetDuration, k.CreatedAt })
            .ToListAsync(ct);

        var subjects = new List<Subject>(teams.Count + keys.Count);
        foreach (var t in teams)
        {
            var name = t.TeamAlias ?? t.TeamId;
            var limitScope = LimitScope.ForTeam(t.TeamId, name, t.BudgetDuration, t.CreatedAt, now);
            subjects.Add(new Subject(limitScope, name, t.TeamId, null, t.MaxBudget, t.SoftBudget));
        }

        foreach (var k in keys)
        {
            var name = k.KeyAlias ?? k.KeyName;
            var limitScope = LimitScope.ForKey(k.Token, k.TeamId, name, k.BudgetDuration, k.CreatedAt, now);
            // The budget in force, a temporary increase included while it lasts (as the limits see it).
            var budget = ScopeLimits.Effective(k.MaxBudget, k.TempBudgetIncrease, k.TempBudgetExpiry, now);
            subjects.Add(new Subject(limitScope, name, k.TeamId, name, budget, k.SoftBudget));
        }

        subjects.AddRange(await BudgetObjectSubjectsAsync(db, now, ct));
        return subjects;
    }

    /// <summary>Only one replica evaluates per interval; if Redis is down every replica does, and the unique index still dedups.</summary>
    private async Task<bool> TryLeaseAsync()
    {
        try
        {
            var lease = setup.Options.EvaluationInterval * 0.9;
            return await RedisLease.TryTakeAsync(redis.GetDatabase(), Lease, lease);
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            return true;
        }
    }

    private sealed record Subject(LimitScope Scope, string Name, string? TeamId, string? KeyAlias, decimal? Budget, decimal? SoftBudget);
}
