using LlmGateway.Api.Contracts;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Routing;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.FanOut;

/// <summary>
/// The calls of one admitted client request that several upstream calls answer (<see cref="FanOutPlan"/>): each goes through
/// the failover like a request of its own (deployments, retries, leases), at most <see cref="FanOutPlan.Concurrency"/> at once,
/// relayed into its own sink instead of the client; <see cref="FanOutAnswer"/> merges them. One outcome comes back, so the
/// client request is settled and recorded once.
/// </summary>
public static class FanOutRun
{
    public static async Task<ProxyOutcome> RunAsync(Failover failover, PriceTable prices, ProxyContext proxy, FanOutPlan plan, Func<JsonBody, UpstreamCall> callOf)
    {
        var calls = plan.Calls.Select(body => callOf(JsonBody.TryParse(body, out var json, out _) ? json : throw new InvalidOperationException("A fan-out call's body is not JSON."))).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(proxy.Http.RequestAborted);
        using var slots = new SemaphoreSlim(plan.Concurrency);
        var answer = new FanOutAnswer(proxy, plan, calls[0].Stream, stop);
        var outcomes = await Task.WhenAll(calls.Select((call, index) => RunCallAsync(failover, proxy, call, index, answer, slots, stop.Token)));
        var billing = calls[0].Route.Billing;
        return await answer.EndAsync(outcomes, outcome => outcome.Deployment is { } deployment && outcome.Usage is { } usage && !outcome.CacheHit
            ? prices.CostOf(deployment, usage, billing)
            : 0m);
    }

    private static async Task<ProxyOutcome> RunCallAsync(
        Failover failover, ProxyContext proxy, UpstreamCall call, int index, FanOutAnswer answer, SemaphoreSlim slots, CancellationToken stop)
    {
        try
        {
            await slots.WaitAsync(stop);
        }
        catch (OperationCanceledException)
        {
            return ProxyOutcome.None; // another call failed, or the client left, before this one started
        }

        try
        {
            var http = answer.ContextFor(index);
            var outcome = await failover.RunAsync(new ProxyContext(http, answer.Plan.CallClient, proxy.Group, proxy.Timings) { Revoked = proxy.Revoked }, call);
            await answer.CallEndedAsync(index, outcome);
            return outcome;
        }
        finally
        {
            slots.Release();
        }
    }
}
