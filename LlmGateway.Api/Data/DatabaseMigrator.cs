using System.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Data;

/// <summary>
/// Applies EF Core migrations at start-up, retrying while Postgres is not reachable yet,
/// and marks <see cref="GatewayReadiness.SchemaReady"/> once the schema is current.
/// </summary>
internal sealed class DatabaseMigrator(
    IServiceProvider services,
    GatewayReadiness readiness,
    ILogger<DatabaseMigrator> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            using var activity = GatewayTelemetry.ActivitySource.StartActivity("Migrate gatewaydb");
            try
            {
                await using var scope = services.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
                var strategy = db.Database.CreateExecutionStrategy();
                await strategy.ExecuteAsync(() => db.Database.MigrateAsync(stoppingToken));
                readiness.SchemaReady = true;
                logger.LogInformation("Database schema is up to date");
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
                logger.LogWarning("Database migration failed ({Error}); retrying in {Delay}", ex.Message, delay);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }
}
