using System.Diagnostics;
using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LlmGateway.Api.Spend;

/// <summary>
/// Keeps the ledger's monthly partitions, at start-up and every <see cref="SpendLedgerOptions.PartitionMaintenanceInterval"/>:
/// creates the current month's and the next <see cref="SpendLedgerOptions.PartitionMonthsAhead"/> months' partitions,
/// moves rows that landed in the default partition into their month's partition, and drops the partitions of months
/// that ended more than <see cref="SpendLedgerOptions.RetentionMonths"/> months ago (0: never). Safe on every replica at once.
/// </summary>
internal sealed class LedgerPartitionMaintenance(
    IServiceScopeFactory scopes,
    GatewayReadiness readiness,
    TimeProvider time,
    IOptions<SpendLedgerOptions> options,
    ILogger<LedgerPartitionMaintenance> logger) : BackgroundService
{
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);
    private readonly SpendLedgerOptions settings = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!readiness.SchemaReady)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, stoppingToken);
            }

            while (true)
            {
                var failed = false;
                try
                {
                    failed = (await RunOnceAsync(stoppingToken)).Failures > 0;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    failed = true;
                    logger.LogWarning("Spend ledger partition maintenance failed ({Error}); retrying in {Delay}", ex.Message, RetryAfterFailure);
                }

                var interval = settings.PartitionMaintenanceInterval;
                await Task.Delay(failed && RetryAfterFailure < interval ? RetryAfterFailure : interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    /// <summary>One pass; a month that fails (a lock not granted in time, a table of that name in the way) is logged and retried a minute later.</summary>
    internal async Task<LedgerMaintenanceResult> RunOnceAsync(CancellationToken ct)
    {
        using var activity = GatewayTelemetry.ActivitySource.StartActivity("Maintain spend_logs partitions");
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await connection.OpenAsync(ct);
        var partitions = new LedgerPartitions(connection);
        if (!await partitions.IsPartitionedAsync(ct))
        {
            logger.LogWarning("spend_logs is not partitioned; partition maintenance skipped");
            return new LedgerMaintenanceResult([], 0, [], 0);
        }

        var current = LedgerMonth.Of(time.GetUtcNow());
        var existing = await partitions.MonthsAsync(ct);
        var wanted = Enumerable.Range(0, settings.PartitionMonthsAhead + 1).Select(current.AddMonths)
            .Concat(await partitions.MonthsInDefaultAsync(ct))
            .Where(month => !existing.Contains(month))
            .Distinct()
            .Order();
        var created = new List<LedgerMonth>();
        long moved = 0;
        var failures = 0;
        foreach (var month in wanted)
        {
            failures += await TryAsync($"create partition {month.PartitionName}", activity, async () =>
            {
                if (await partitions.CreateAsync(month, ct) is { } rows)
                {
                    created.Add(month);
                    moved += rows;
                    logger.LogInformation("Created spend ledger partition {Partition}{Moved}", month.PartitionName,
                        rows > 0 ? $", moving {rows} rows from the default partition" : "");
                }
            }, ct);
        }

        var dropped = new List<LedgerMonth>();
        foreach (var month in Expired(await partitions.MonthsAsync(ct), current))
        {
            failures += await TryAsync($"drop partition {month.PartitionName}", activity, async () =>
            {
                if (await partitions.DropAsync(month, ct))
                {
                    dropped.Add(month);
                    logger.LogInformation("Dropped spend ledger partition {Partition}: its month is past the retention of {Months} months",
                        month.PartitionName, settings.RetentionMonths);
                }
            }, ct);
        }

        return new LedgerMaintenanceResult(created, moved, dropped, failures);
    }

    /// <summary>Months that ended at least <see cref="SpendLedgerOptions.RetentionMonths"/> months before now; never the current or a later month.</summary>
    private IEnumerable<LedgerMonth> Expired(IEnumerable<LedgerMonth> months, LedgerMonth current)
    {
        if (settings.RetentionMonths <= 0)
        {
            return [];
        }

        var cutoff = time.GetUtcNow().AddMonths(-settings.RetentionMonths);
        return months.Where(month => month.End <= cutoff && month.End <= current.Start).Order();
    }

    /// <summary>Runs one step; 1 when it failed (logged), else 0.</summary>
    private async Task<int> TryAsync(string what, Activity? activity, Func<Task> step, CancellationToken ct)
    {
        try
        {
            await step();
            return 0;
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentOutOfRangeException && !ct.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            logger.LogWarning("Spend ledger partition maintenance could not {What} ({Error}); retried in {Delay}", what, ex.Message, RetryAfterFailure);
            return 1;
        }
    }
}

/// <summary>What one maintenance pass did, and how many of its steps failed (retried after a minute).</summary>
internal sealed record LedgerMaintenanceResult(IReadOnlyList<LedgerMonth> Created, long RowsMoved, IReadOnlyList<LedgerMonth> Dropped, int Failures);
