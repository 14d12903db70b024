using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Streaming;

namespace LlmGateway.Api.Proxy;

/// <summary>
/// An OpenAI-compatible upstream to an OpenAI client: bytes pass through untouched, event by event, with the
/// usage sniffed on the way and the usage chunk hidden from a client that did not ask for it.
/// </summary>
public static class OpenAiRelay
{
    /// <summary>Relays a stream. Returns a failure only if nothing reached the client yet (so failover is still possible).</summary>
    public static async Task<ProviderFailure?> StreamAsync(ProxyContext proxy, HttpResponseMessage upstream, bool clientWantsUsage, TimeSpan idle)
    {
        var http = proxy.Http;
        using var disconnect = ClientDisconnect.Start(proxy);
        var ct = disconnect.Token;
        await using var body = await upstream.Content.ReadAsStreamAsync(ct);
        await using var reader = new SseReader(body, idle);
        disconnect.Track(reader);
        var sawDone = false;
        try
        {
            while (await reader.ReadAsync(ct))
            {
                var data = reader.Data.Span;
                if (!proxy.Committed)
                {
                    if (UpstreamBody.AsInBandError(data) is { } failure)
                    {
                        return failure;
                    }

                    proxy.Timings.UpstreamFirstByte = System.Diagnostics.Stopwatch.GetElapsedTime(proxy.UpstreamStarted);
                    ClientResponse.Start(proxy, stream: true);
                }
                else if (UpstreamBody.AsInBandError(data) is { } midStream)
                {
                    // The provider's own error event goes to the client as it is, then the stream ends: one error, one [DONE].
                    proxy.MidStreamFailure = midStream;
                    ClientResponse.WriteRaw(http, reader.Raw);
                    ClientResponse.WriteDone(http);
                    await ClientResponse.FlushAsync(http);
                    return null;
                }

                if (data.SequenceEqual("[DONE]"u8))
                {
                    sawDone = true;
                }
                else if (data.IndexOf("\"usage\""u8) >= 0 && TokenUsage.TryReadOpenAi(data, out var usage, out var choicesEmpty))
                {
                    proxy.Usage = usage;
                    if (choicesEmpty && !clientWantsUsage)
                    {
                        continue;
                    }

                    if (choicesEmpty && UsageChunkCost.WithCost(data, proxy) is { } priced)
                    {
                        ClientResponse.WriteData(http, priced);
                        await ClientResponse.FlushAsync(http);
                        continue;
                    }
                }

                ClientResponse.WriteRaw(http, reader.Raw);
                await ClientResponse.FlushAsync(http);
            }

            if (!proxy.Committed)
            {
                return new ProviderFailure(FailureKind.EmptyStream, 200, "the provider answered 200 with an empty stream");
            }

            if (!sawDone)
            {
                return await EndBrokenStreamAsync(proxy, "the stream ended without [DONE]");
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is IOException or HttpRequestException or TimeoutException)
        {
            var failure = UpstreamBody.ReadFailure(ex);
            return proxy.Committed ? await EndBrokenStreamAsync(proxy, ex.Message, failure) : failure;
        }

        return null;
    }

    /// <summary>Relays a whole JSON body, reading its usage.</summary>
    public static Task<ProviderFailure?> BodyAsync(ProxyContext proxy, HttpResponseMessage upstream, TimeSpan idle) =>
        UpstreamBody.RelayWholeAsync(proxy, upstream, idle, TokenUsage.OfOpenAiBody);

    private static async Task<ProviderFailure?> EndBrokenStreamAsync(ProxyContext proxy, string message, ProviderFailure? failure = null)
    {
        proxy.MidStreamFailure = failure ?? new ProviderFailure(FailureKind.ConnectionReset, 502, message);
        ClientResponse.WriteStreamError(proxy.Http, ClientFormat.OpenAi, UpstreamErrors.MidStream(message));
        await ClientResponse.FlushAsync(proxy.Http);
        return null;
    }
}
