using System.Globalization;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Pricing;

namespace LlmGateway.Api.Relay;

/// <summary>
/// The <c>x-litellm-*</c> response headers LiteLLM's clients and dashboards read, next to the gateway's own
/// <c>x-gateway-*</c> (docs/litellm-migration.md). Values the request already has: no lookup, no Redis call.
/// </summary>
public static class LitellmHeaders
{
    public const string ResponseCost = "x-litellm-response-cost";

    /// <summary>Written with the status, before the first byte: model group and id, call id, fallbacks, overhead, cost.</summary>
    public static void Write(IHeaderDictionary headers, ProxyContext proxy, UpstreamAttempt? attempt, string? cost)
    {
        headers["x-litellm-call-id"] = proxy.RequestId;
        headers["x-litellm-model-group"] = proxy.Group.Name;
        if (attempt is not null)
        {
            headers["x-litellm-model-id"] = attempt.Deployment.Id;
        }

        headers["x-litellm-attempted-fallbacks"] = Math.Max(0, (attempt?.Number ?? 1) - 1).ToString(CultureInfo.InvariantCulture);
        // The gateway's own time: everything so far except the answering deployment's time to first byte.
        var overhead = proxy.Timings.Elapsed - proxy.Timings.UpstreamFirstByte;
        headers["x-litellm-overhead-duration-ms"] = Math.Max(0, overhead.TotalMilliseconds).ToString("0.###", CultureInfo.InvariantCulture);
        if (cost is not null)
        {
            headers[ResponseCost] = cost;
        }
    }

    /// <summary>
    /// <c>x-litellm-key-spend</c>: the key's spend this budget period before this request (its Redis counter as admission
    /// read it, less this request's own reservation); only for a key with a budget, the only keys with a live counter.
    /// </summary>
    public static void WriteKeySpend(IHeaderDictionary headers, Admission admission)
    {
        for (var i = 0; i < admission.Scopes.Count && i < admission.BudgetUsed.Count; i++)
        {
            if (admission.Scopes[i].Kind == "key" && admission.BudgetUsed[i] is { } used)
            {
                var spent = Math.Max(0m, used - Money.FromNanos(admission.ReservedNanos));
                headers["x-litellm-key-spend"] = spent.ToString("0.##########", CultureInfo.InvariantCulture);
                return;
            }
        }
    }
}
