namespace LlmGateway.Api.Spend;

/// <summary>
/// Takes a usage event off the request path and makes it durable: never blocks the request for long,
/// never throws, never loses the event (Redis stream → Postgres ledger; Postgres directly when Redis is down;
/// a local spool file when both are).
/// </summary>
public interface IUsageRecorder
{
    ValueTask RecordAsync(UsageEvent usage, CancellationToken cancellationToken = default);
}
