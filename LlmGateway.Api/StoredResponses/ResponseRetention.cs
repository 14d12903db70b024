using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.StoredResponses;

/// <summary>Deletes stored responses older than <see cref="StoredResponseOptions.Retention"/>, every sweep interval.</summary>
public sealed class ResponseRetention(
    IServiceScopeFactory scopes, GatewayReadiness readiness, IOptions<StoredResponseOptions> options, ILogger<ResponseRetention> logger)
    : RetentionSweep(scopes, readiness, logger)
{
    protected override TimeSpan Retention => options.Value.Retention;
    protected override TimeSpan SweepInterval => options.Value.SweepInterval;
    protected override string What => "stored responses";

    protected override Task<int> DeleteOlderThanAsync(GatewayDbContext db, DateTimeOffset cutoff, CancellationToken cancellationToken) =>
        db.StoredResponses.Where(r => r.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
}
