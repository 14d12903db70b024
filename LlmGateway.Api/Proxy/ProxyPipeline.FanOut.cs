using LlmGateway.Api.Relay;
using LlmGateway.Api.Routing;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Proxy;

/// <summary>A request several upstream calls answer (<see cref="FanOutPlan"/>): admitted, settled and recorded once, like any other.</summary>
public static partial class ProxyPipeline
{
    /// <summary>Each call routed as the request is (its key's model lists, tags and fallbacks), its body in the plan's call format.</summary>
    private static Task<ProxyOutcome> FanOutAsync(ProxyServices services, ProxyContext proxy, Accepted accepted, FanOutPlan plan)
    {
        var (route, shape) = (accepted.Route, accepted.Shape);
        var pricedOnly = accepted.PricedOnly;
        var dropParams = services.Config.LitellmSettings.DropParams;
        return FanOut.FanOutRun.RunAsync(services.Failover, services.Prices, proxy, plan, body => new UpstreamCall(
            new RouteRequest(route.Operation, body)
            {
                Key = route.Key, Fallbacks = route.Fallbacks, Tags = route.Tags, AnthropicBeta = route.AnthropicBeta, CallType = route.CallType,
            },
            new UpstreamRequestBuilder(plan.CallClient, body, shape.PassThrough, dropParams), shape.Stream, new StreamEncoderOptions(IncludeUsage: true))
        {
            PricedOnly = pricedOnly,
        });
    }
}
