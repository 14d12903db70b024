using LlmGateway.Api.Auth;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Routing;

namespace LlmGateway.Api.Proxy;

/// <summary>The end of every proxied request: its settle and usage event, sent before the handler returns and awaited off its path.</summary>
public static partial class ProxyPipeline
{
    /// <summary>How long the end of an answer waits for its settle (<see cref="ProxyContext.EndsAfterSettle"/>) when Redis is slow.</summary>
    private static readonly TimeSpan SettleBeforeEndBound = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The settle and the usage event are sent now, before the handler returns, and awaited off the request's path: the client's
    /// next request is not held by them. Redis runs one connection's commands in order, so any later admission on this replica
    /// sees this request's settled cost or, before that, its reservation — both at least the truth (docs/scaling.md).
    /// Returns the settle when the answer's end must wait for it (<see cref="ProxyContext.EndsAfterSettle"/>), else null.
    /// </summary>
    private static Task? Finish(
        ProxyServices services, Caller caller, ProxyContext proxy, ProxyOutcome outcome, Admission admission, RequestFacts facts, DateTimeOffset started,
        BillingTerms billing)
    {
        var usage = outcome.Usage ?? default;
        var known = outcome.Usage is null || outcome.CacheHit ? 0m
            : outcome.CallsCost ?? (outcome.Deployment is { } deployment ? services.Prices.CostOf(deployment, usage, billing) : null);
        var cost = (known ?? 0m) + outcome.Earlier.Cost;
        var settle = services.Limits.SettleAsync(admission, proxy.RequestId, usage.TotalTokens + outcome.Earlier.Tokens, cost);
        var record = services.Usage.RecordAsync(UsageEvents.From(proxy, outcome, caller, facts, started, cost,
            priceUnknown: known is null, status: UsageEvents.StatusOf(proxy.Http, outcome)));
        ProxyMetrics.RequestFinished(proxy, outcome, caller, cost);
        if (!settle.IsCompletedSuccessfully || !record.IsCompletedSuccessfully)
        {
            services.InFlight.Finishing(CompleteAsync(settle, record, services.Logger, proxy.RequestId));
        }

        return proxy.EndsAfterSettle && !settle.IsCompleted ? settle : null;
    }

    /// <summary>
    /// Holds the end of the answer (the handler's return writes the chunked body's end) until the settle has given the parallel
    /// lease back, bounded: a Redis that does not answer delays the end by at most <see cref="SettleBeforeEndBound"/>, and the
    /// settle goes on as every other does (its fault is logged by <see cref="CompleteAsync"/>).
    /// </summary>
    private static async Task EndAfterSettleAsync(Task settle)
    {
        try
        {
            await settle.WaitAsync(SettleBeforeEndBound);
        }
        catch (Exception)
        {
            // Timed out or faulted: the settle is tracked and logged as every other; the answer ends now.
        }
    }

    /// <summary>Awaits a finished request's settle and usage event; neither throws by contract, but a fault is logged, never lost silently.</summary>
    private static async Task CompleteAsync(Task settle, ValueTask record, ILogger logger, string requestId)
    {
        try
        {
            await settle;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The settle of {RequestId} failed", requestId);
        }

        try
        {
            await record;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The usage event of {RequestId} failed", requestId);
        }
    }
}
