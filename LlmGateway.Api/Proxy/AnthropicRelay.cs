using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Streaming;

namespace LlmGateway.Api.Proxy;

/// <summary>An Anthropic upstream to an Anthropic (<c>/v1/messages</c>) client: events pass through untouched; usage is read on the way.</summary>
public static class AnthropicRelay
{
    public static async Task<ProviderFailure?> StreamAsync(ProxyContext proxy, HttpResponseMessage upstream, TimeSpan idle)
    {
        var http = proxy.Http;
        using var disconnect = ClientDisconnect.Start(proxy);
        var ct = disconnect.Token;
        await using var body = await upstream.Content.ReadAsStreamAsync(ct);
        await using var reader = new SseReader(body, idle);
        disconnect.Track(reader);
        var usage = default(StreamUsage);
        var sawStop = false;
        try
        {
            while (await reader.ReadAsync(ct))
            {
                var name = reader.EventName;
                if (!proxy.Committed)
                {
                    if (name == "error" && UpstreamBody.AsInBandError(reader.Data.Span) is { } failure)
                    {
                        return failure;
                    }

                    proxy.Timings.UpstreamFirstByte = System.Diagnostics.Stopwatch.GetElapsedTime(proxy.UpstreamStarted);
                    ClientResponse.Start(proxy, stream: true);
                }

                if (ReferenceEquals(name, "message_start") || ReferenceEquals(name, "message_delta"))
                {
                    usage = AnthropicUsage.Merge(usage, reader.Data.Span);
                    proxy.Usage = TokenUsage.From(usage);
                }
                else if (ReferenceEquals(name, "message_stop") || ReferenceEquals(name, "error"))
                {
                    sawStop = true;
                }

                ClientResponse.WriteRaw(http, reader.Raw);
                await ClientResponse.FlushAsync(http);
            }

            if (!proxy.Committed)
            {
                return new ProviderFailure(FailureKind.EmptyStream, 200, "the provider answered 200 with an empty stream");
            }

            if (!sawStop)
            {
                await EndBrokenStreamAsync(proxy, "the stream ended without message_stop");
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is IOException or HttpRequestException or TimeoutException)
        {
            var failure = UpstreamBody.ReadFailure(ex);
            if (!proxy.Committed)
            {
                return failure;
            }

            proxy.MidStreamFailure = failure;
            await EndBrokenStreamAsync(proxy, ex.Message);
        }

        return null;
    }

    public static Task<ProviderFailure?> BodyAsync(ProxyContext proxy, HttpResponseMessage upstream, TimeSpan idle) =>
        UpstreamBody.RelayWholeAsync(proxy, upstream, idle, AnthropicUsage.OfBody);

    private static async Task EndBrokenStreamAsync(ProxyContext proxy, string message)
    {
        proxy.MidStreamFailure ??= new ProviderFailure(FailureKind.ConnectionReset, 502, message);
        ClientResponse.WriteStreamError(proxy.Http, ClientFormat.Anthropic, UpstreamErrors.MidStream(message));
        await ClientResponse.FlushAsync(proxy.Http);
    }
}
