using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// A stream's cost is unknown when its headers leave, so it travels in the final usage chunk instead:
/// <c>usage.cost</c> in USD (the field LiteLLM adds with <c>include_cost_in_streaming_usage</c>). One chunk per stream.
/// </summary>
public static class UsageChunkCost
{
    public static string? WithCost(ReadOnlySpan<byte> chunk, ProxyContext proxy)
    {
        if (proxy.Usage is not { } usage || proxy.Deployment is not { } deployment || proxy.CostOf?.Invoke(deployment, usage) is not { } cost)
        {
            return null; // no known price: the chunk goes out as the provider sent it
        }

        try
        {
            if (JsonNode.Parse(chunk) is JsonObject root && root["usage"] is JsonObject usageObject)
            {
                usageObject["cost"] = cost;
                return root.ToJsonString();
            }
        }
        catch (JsonException)
        {
            // not ours to fix: the chunk goes out as it came
        }

        return null;
    }

    public static string WithCost(string chunk, ProxyContext proxy) =>
        WithCost(System.Text.Encoding.UTF8.GetBytes(chunk), proxy) ?? chunk;
}
