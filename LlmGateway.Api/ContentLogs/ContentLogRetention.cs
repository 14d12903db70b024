using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.ContentLogs;

/// <summary>Deletes content logs older than <see cref="ContentLogOptions.ContentLogRetention"/>, every sweep interval.</summary>
public sealed class ContentLogRetention(
    IServiceScopeFactory scopes, GatewayReadiness readiness, IOptions<ContentLogOptions> options, ILogger<ContentLogRetention> logger)
    : RetentionSweep(scopes, readiness, logger)
{
    protected override TimeSpan Retention => options.Value.ContentLogRetention;
    protected override TimeSpan SweepInterval => options.Value.ContentLogSweepInterval;
    protected override string What => "content logs";

    protected override Task<int> DeleteOlderThanAsync(GatewayDbContext db, DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        db.ContentLogs.Where(c => c.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
}
