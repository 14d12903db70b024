using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using Microsoft.AspNetCore.Http.Features;

namespace LlmGateway.Api.Relay;

/// <summary>The gateway's status and headers of an answer, set before its first byte.</summary>
public static class ClientResponse
{
    /// <summary>Sets status and headers; nothing is sent until the first write.</summary>
    public static void Start(ProxyContext proxy, UpstreamAttempt? attempt, bool stream, decimal? cost)
    {
        var response = proxy.Http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        var headers = response.Headers;
        headers.ContentType = stream ? "text/event-stream; charset=utf-8" : "application/json";
        if (attempt is not null)
        {
            headers["x-gateway-provider"] = ProviderRegistry.Name(attempt.Deployment.Provider);
            headers["x-gateway-deployment"] = attempt.Deployment.Id;
        }

        headers["x-gateway-attempts"] = (attempt?.Number ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        headers["x-gateway-cache"] = "miss";
        string? costText = null;
        if (!stream && cost is { } known)
        {
            headers["x-gateway-cost-usd"] = costText = known.ToString("0.##########", System.Globalization.CultureInfo.InvariantCulture);
        }

        LitellmHeaders.Write(headers, proxy, attempt, costText);

        headers["Server-Timing"] = proxy.Timings.ToServerTiming();
        if (stream)
        {
            headers.CacheControl = "no-cache";
            headers["X-Accel-Buffering"] = "no";
            proxy.Http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        }
    }
}
