using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.StoredResponses;

/// <summary>Deletes stored responses older than <see cref="StoredResponseOptions.Retention"/>, every sweep interval.</summary>
public sealed class ResponseRetention(
    IServiceScopeFactory scopes, GatewayReadiness readiness, IOptions<StoredResponseOptions> options, ILogger<ResponseRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.SweepInterval);
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
                var cutoff = DateTimeOffset.UtcNow - settings.Retention;
                var deleted = await db.StoredResponses.Where(r => r.CreatedAt < cutoff).ExecuteDeleteAsync(stoppingToken);
                if (deleted > 0)
                {
                    logger.LogInformation("Deleted {Count} stored responses older than {Retention}", deleted, settings.Retention);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Stored response retention sweep failed: {Error}; retried next sweep", ex.GetType().Name);
            }
        }
    }
}
