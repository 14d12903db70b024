using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Alerts;

/// <summary>
/// The <c>alerts</c> table: insert-first (a duplicate threshold in the same period is a no-op on every replica),
/// then claim due rows for delivery with <c>FOR UPDATE SKIP LOCKED</c> so two replicas never send the same attempt.
/// </summary>
public sealed class AlertStore(IServiceScopeFactory scopes)
{
    private readonly SemaphoreSlim wake = new(0, 1);

    /// <summary>Inserts the alert unless its (type, scope, id, threshold, period) already exists; true when inserted.</summary>
    public async Task<bool> TryInsertAsync(Alert alert, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var pending = alert.PendingChannels.ToArray();
        var delivered = alert.DeliveredChannels.ToArray();
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO alerts (id, type, severity, scope, scope_id, name, team_id, key_alias, threshold, spend, budget,
                period_start, resets_at, message, created_at, status, pending_channels, delivered_channels, attempts,
                next_attempt_at, delivered_at, last_error)
            VALUES ({alert.Id}, {alert.Type}, {alert.Severity}, {alert.Scope}, {alert.ScopeId}, {alert.Name}, {alert.TeamId},
                {alert.KeyAlias}, {alert.Threshold}, {alert.Spend}, {alert.Budget}, {alert.PeriodStart}, {alert.ResetsAt},
                {alert.Message}, {alert.CreatedAt}, {alert.Status}, {pending}, {delivered}, {alert.Attempts},
                {alert.NextAttemptAt}, {alert.DeliveredAt}, {alert.LastError})
            ON CONFLICT (type, scope, scope_id, threshold, period_start) DO NOTHING
            """, ct);
        if (inserted > 0 && alert.Status == AlertStatus.Pending)
        {
            Wake();
        }

        return inserted > 0;
    }

    /// <summary>Takes up to <paramref name="batch"/> due alerts, hiding them from other replicas until <paramref name="leaseUntil"/>.</summary>
    public async Task<List<Alert>> ClaimDueAsync(DateTimeOffset now, DateTimeOffset leaseUntil, int batch, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        return await db.Set<Alert>().FromSqlInterpolated($"""
            UPDATE alerts SET next_attempt_at = {leaseUntil}
            WHERE id IN (SELECT id FROM alerts WHERE status = 'pending' AND next_attempt_at <= {now}
                         ORDER BY next_attempt_at LIMIT {batch} FOR UPDATE SKIP LOCKED)
            RETURNING *
            """).AsNoTracking().ToListAsync(ct);
    }

    /// <summary>Writes an attempt's outcome.</summary>
    public async Task SaveDeliveryAsync(Alert alert, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        await db.Set<Alert>().Where(a => a.Id == alert.Id).ExecuteUpdateAsync(set => set
            .SetProperty(a => a.Status, alert.Status)
            .SetProperty(a => a.PendingChannels, alert.PendingChannels)
            .SetProperty(a => a.DeliveredChannels, alert.DeliveredChannels)
            .SetProperty(a => a.Attempts, alert.Attempts)
            .SetProperty(a => a.NextAttemptAt, alert.NextAttemptAt)
            .SetProperty(a => a.DeliveredAt, alert.DeliveredAt)
            .SetProperty(a => a.LastError, alert.LastError), ct);
    }

    /// <summary>Newest first; a team's own alerts and its keys'.</summary>
    public async Task<List<Alert>> ListAsync(string? teamId, int limit, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var rows = db.Set<Alert>().AsNoTracking();
        if (!string.IsNullOrEmpty(teamId))
        {
            rows = rows.Where(a => a.TeamId == teamId);
        }

        return await rows.OrderByDescending(a => a.CreatedAt).ThenByDescending(a => a.Id).Take(limit).ToListAsync(ct);
    }

    /// <summary>Lets the delivery worker start at once after a local insert.</summary>
    public void Wake()
    {
        if (wake.CurrentCount == 0)
        {
            try
            {
                wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // another insert woke it already
            }
        }
    }

    public Task<bool> WaitForWorkAsync(TimeSpan timeout, CancellationToken ct) => wake.WaitAsync(timeout, ct);
}
