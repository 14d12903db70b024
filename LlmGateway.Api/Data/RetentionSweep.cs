namespace LlmGateway.Api.Data;

/// <summary>
/// A job that deletes rows older than a retention period, every sweep interval, once the schema is ready; a failed sweep
/// is logged (its error type only) and retried on the next tick.
/// </summary>
public abstract class RetentionSweep(IServiceScopeFactory scopes, GatewayReadiness readiness, ILogger logger) : BackgroundService
{
    protected abstract TimeSpan Retention { get; }
    protected abstract TimeSpan SweepInterval { get; }
    /// <summary>What is deleted, for the log (e.g. "content logs").</summary>
    protected abstract string What { get; }

    /// <summary>Deletes the rows created before <paramref name="cutoff"/>; returns how many.</summary>
    protected abstract Task<int> DeleteOlderThanAsync(GatewayDbContext db, DateTimeOffset cutoff, CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!readiness.SchemaReady)
            {
                continue;
            }

            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
                var deleted = await DeleteOlderThanAsync(db, DateTimeOffset.UtcNow - Retention, stoppingToken);
                if (deleted > 0)
                {
                    logger.LogInformation("Deleted {Count} {What} older than {Retention}", deleted, What, Retention);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Retention sweep of {What} failed: {Error}; retried next sweep", What, ex.GetType().Name);
            }
        }
    }
}
