using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.ContentLogs;

/// <summary>Deletes content logs older than <see cref="ContentLogOptions.ContentLogRetention"/>, every sweep interval.</summary>
public sealed class ContentLogRetention(
    IServiceScopeFactory scopes, GatewayReadiness readiness, IOptions<ContentLogOptions> options, ILogger<ContentLogRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.ContentLogSweepInterval);
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
                var cutoff = DateTimeOffset.UtcNow - settings.ContentLogRetention;
                var deleted = await db.ContentLogs.Where(c => c.CreatedAt < cutoff).ExecuteDeleteAsync(stoppingToken);
                if (deleted > 0)
                {
                    logger.LogInformation("Deleted {Count} content logs older than {Retention}", deleted, settings.ContentLogRetention);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Content log retention sweep failed: {Error}; retried next sweep", ex.GetType().Name);
            }
        }
    }
}
