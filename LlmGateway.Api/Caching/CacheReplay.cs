using LlmGateway.Api.Providers;
using LlmGateway.Api.Relay;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Caching;

/// <summary>
/// Answers a request from a cached body (always the client's non-stream body): as it is, or as a stream — the body read by
/// the adapter of the client's own format and written again through the client's stream encoder, the same code a live
/// translated answer goes through.
/// </summary>
public static class CacheReplay
{
    public static async Task WriteAsync(ProxyContext proxy, CachedResponse cached, bool stream, bool includeUsage)
    {
        var http = proxy.Http;
        ClientResponse.Start(proxy, null, stream, null);
        http.Response.Headers["x-gateway-cache"] = "hit";
        http.Response.Headers["x-gateway-cost-usd"] = "0";
        http.Response.Headers[LitellmHeaders.ResponseCost] = "0";
        if (!stream)
        {
            proxy.SetContentLength(cached.Body.Length);
            await http.Response.Body.WriteAsync(cached.Body, http.RequestAborted);
            return;
        }

        var answer = ProviderRegistry.AdapterFor(proxy.Client.NativeUpstream).DecodeBody(cached.Body) ?? new CanonicalResponse();
        answer.Usage ??= cached.Usage;
        var encoder = proxy.Client.NewStreamEncoder(IdentityOf(proxy, answer), new StreamEncoderOptions(includeUsage));
        var writer = new SseWriter(http.Response.BodyWriter);
        foreach (var e in answer.ToEvents())
        {
            encoder.Write(e, writer);
        }

        await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
    }

    /// <summary>The id and model the answer had; the gateway's own when it carried none.</summary>
    public static ResponseIdentity IdentityOf(ProxyContext proxy, CanonicalResponse answer) =>
        new(answer.Id ?? proxy.AnswerId, answer.Model ?? proxy.Group.Name, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
}
