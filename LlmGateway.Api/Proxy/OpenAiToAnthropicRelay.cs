using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Messages;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Streaming;

namespace LlmGateway.Api.Proxy;

/// <summary>An OpenAI-compatible upstream to an Anthropic (<c>/v1/messages</c>) client, translated chunk by chunk (wire-formats §10.5).</summary>
public static class OpenAiToAnthropicRelay
{
    public static async Task<ProviderFailure?> StreamAsync(ProxyContext proxy, HttpResponseMessage upstream, TimeSpan idle)
    {
        var http = proxy.Http;
        using var disconnect = ClientDisconnect.Start(proxy);
        var ct = disconnect.Token;
        var mapper = new MessagesStreamMapper(proxy.Group.Name, MessageId(proxy));
        var events = new List<(string Event, string Data)>(4);
        await using var body = await upstream.Content.ReadAsStreamAsync(ct);
        await using var reader = new SseReader(body, idle);
        disconnect.Track(reader);
        try
        {
            while (await reader.ReadAsync(ct))
            {
                var data = reader.Data.Span;
                events.Clear();
                if (data.SequenceEqual("[DONE]"u8))
                {
                    if (!proxy.Committed)
                    {
                        return new ProviderFailure(FailureKind.EmptyStream, 200, "the provider's stream had no content");
                    }

                    mapper.Complete(events);
                }
                else
                {
                    if (UpstreamBody.AsInBandError(data) is { } failure)
                    {
                        if (!proxy.Committed)
                        {
                            return failure;
                        }

                        proxy.MidStreamFailure = failure;
                        mapper.Fail(new StreamError(failure.ErrorType ?? "api_error", failure.Message), events);
                    }
                    else
                    {
                        mapper.OnChunk(data, events);
                    }
                }

                proxy.Usage = TokenUsage.From(mapper.Usage);
                if (events.Count == 0)
                {
                    continue;
                }

                if (!proxy.Committed)
                {
                    proxy.Timings.UpstreamFirstByte = System.Diagnostics.Stopwatch.GetElapsedTime(proxy.UpstreamStarted);
                    ClientResponse.Start(proxy, stream: true);
                }

                foreach (var (name, json) in events)
                {
                    ClientResponse.WriteEvent(http, name, json);
                }

                await ClientResponse.FlushAsync(http);
                if (mapper.IsComplete || proxy.MidStreamFailure is not null)
                {
                    return null;
                }
            }

            if (!proxy.Committed)
            {
                return new ProviderFailure(FailureKind.EmptyStream, 200, "the provider answered 200 with an empty stream");
            }

            if (!mapper.IsComplete)
            {
                await FailAsync(proxy, mapper, new ProviderFailure(FailureKind.ConnectionReset, 502, "the stream ended without [DONE]"));
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is IOException or HttpRequestException or TimeoutException)
        {
            var failure = UpstreamBody.ReadFailure(ex);
            if (!proxy.Committed)
            {
                return failure;
            }

            await FailAsync(proxy, mapper, failure);
        }

        return null;
    }

    public static async Task<ProviderFailure?> BodyAsync(ProxyContext proxy, HttpResponseMessage upstream, TimeSpan idle)
    {
        var (completion, failure) = await UpstreamBody.ReadObjectAsync(proxy, upstream, idle, TokenUsage.OfOpenAiBody);
        if (failure is not null || completion is null)
        {
            return failure ?? new ProviderFailure(FailureKind.ServerError, 200, "the provider answered 200 without a completion object");
        }

        await UpstreamBody.WriteTranslatedAsync(proxy, MessagesResponseMapper.ToAnthropic(completion, proxy.Group.Name, MessageId(proxy)));
        return null;
    }

    private static string MessageId(ProxyContext proxy) => "msg_" + proxy.RequestId;

    private static async Task FailAsync(ProxyContext proxy, MessagesStreamMapper mapper, ProviderFailure failure)
    {
        proxy.MidStreamFailure = failure;
        var events = new List<(string Event, string Data)>(1);
        mapper.Fail(new StreamError("api_error", UpstreamErrors.MidStream(failure.Message).Message), events);
        foreach (var (name, json) in events)
        {
            ClientResponse.WriteEvent(proxy.Http, name, json);
        }

        await ClientResponse.FlushAsync(proxy.Http);
    }
}
