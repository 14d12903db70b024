using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Providers.Anthropic;
using LlmGateway.Api.Streaming;

namespace LlmGateway.Api.Proxy;

/// <summary>An Anthropic upstream to an OpenAI client, translated event by event (wire-formats §10.4).</summary>
public static class AnthropicToOpenAiRelay
{
    public static async Task<ProviderFailure?> StreamAsync(ProxyContext proxy, HttpResponseMessage upstream, bool clientWantsUsage, TimeSpan idle)
    {
        var http = proxy.Http;
        using var disconnect = ClientDisconnect.Start(proxy);
        var ct = disconnect.Token;
        var mapper = new AnthropicStreamMapper(proxy.Group.Name, ChatId(proxy), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), clientWantsUsage);
        var chunks = new List<string>(4);
        await using var body = await upstream.Content.ReadAsStreamAsync(ct);
        await using var reader = new SseReader(body, idle);
        disconnect.Track(reader);
        try
        {
            while (await reader.ReadAsync(ct))
            {
                if (!proxy.Committed && reader.EventName == "error" && UpstreamBody.AsInBandError(reader.Data.Span) is { } failure)
                {
                    return failure;
                }

                chunks.Clear();
                mapper.OnEvent(reader.EventName, reader.Data.Span, chunks);
                proxy.Usage = TokenUsage.From(mapper.Usage);
                if (mapper.Error is { } error)
                {
                    if (!proxy.Committed)
                    {
                        return new ProviderFailure(FailureKind.ServerError, 200, error.Message, error.Type);
                    }

                    proxy.MidStreamFailure = new ProviderFailure(FailureKind.ServerError, 200, error.Message, error.Type);
                    ClientResponse.WriteData(http, mapper.ErrorChunk()!);
                    ClientResponse.WriteDone(http);
                    await ClientResponse.FlushAsync(http);
                    return null;
                }

                if (chunks.Count == 0 && !mapper.IsComplete)
                {
                    continue;
                }

                if (!proxy.Committed)
                {
                    proxy.Timings.UpstreamFirstByte = System.Diagnostics.Stopwatch.GetElapsedTime(proxy.UpstreamStarted);
                    ClientResponse.Start(proxy, stream: true);
                }

                foreach (var chunk in chunks)
                {
                    ClientResponse.WriteData(http, chunk);
                }

                if (mapper.IsComplete)
                {
                    if (mapper.FinalUsageChunk() is { } usageChunk)
                    {
                        ClientResponse.WriteData(http, UsageChunkCost.WithCost(usageChunk, proxy));
                    }

                    ClientResponse.WriteDone(http);
                    await ClientResponse.FlushAsync(http);
                    return null;
                }

                await ClientResponse.FlushAsync(http);
            }

            if (!proxy.Committed)
            {
                return new ProviderFailure(FailureKind.EmptyStream, 200, "the provider answered 200 with an empty stream");
            }

            await EndBrokenStreamAsync(proxy, "the stream ended without message_stop", null);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is IOException or HttpRequestException or TimeoutException)
        {
            var failure = UpstreamBody.ReadFailure(ex);
            if (!proxy.Committed)
            {
                return failure;
            }

            await EndBrokenStreamAsync(proxy, ex.Message, failure);
        }

        return null;
    }

    public static async Task<ProviderFailure?> BodyAsync(ProxyContext proxy, HttpResponseMessage upstream, TimeSpan idle)
    {
        var (message, failure) = await UpstreamBody.ReadObjectAsync(proxy, upstream, idle, AnthropicUsage.OfBody);
        if (failure is not null || message is null)
        {
            return failure ?? new ProviderFailure(FailureKind.ServerError, 200, "the provider answered 200 without a message object");
        }

        await UpstreamBody.WriteTranslatedAsync(proxy,
            AnthropicResponseMapper.ToOpenAi(message, proxy.Group.Name, ChatId(proxy), DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        return null;
    }

    private static string ChatId(ProxyContext proxy) => "chatcmpl-" + proxy.RequestId;

    private static async Task EndBrokenStreamAsync(ProxyContext proxy, string message, ProviderFailure? failure)
    {
        proxy.MidStreamFailure = failure ?? new ProviderFailure(FailureKind.ConnectionReset, 502, message);
        ClientResponse.WriteStreamError(proxy.Http, ClientFormat.OpenAi, UpstreamErrors.MidStream(message));
        await ClientResponse.FlushAsync(proxy.Http);
    }
}
