using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>An Anthropic answer to a Messages client: events pass through untouched; usage is read on the way.</summary>
public sealed class AnthropicPassThrough : ResponseTranslation
{
    public override StreamStep OnEvent(SseEvent upstream, SseWriter client, bool committed)
    {
        var name = upstream.Name;
        Fold(upstream, static () => new AnthropicStreamDecoder());
        if (ReferenceEquals(name, "error") || (name.Length == 0 && InBandError.Read(upstream.Data) is not null))
        {
            if (committed)
            {
                client.Raw(upstream.Raw);
            }

            return new StreamStep(true, InBandError.Read(upstream.Data) ?? new ResponseFailed("api_error", "The provider reported an error."));
        }

        Started = true;
        if (ReferenceEquals(name, "message_start") || ReferenceEquals(name, "message_delta"))
        {
            Usage = AnthropicUsageReader.Read(upstream.Data, Usage);
        }

        client.Raw(upstream.Raw);
        return new StreamStep(ReferenceEquals(name, "message_stop"));
    }

    public override ReadOnlyMemory<byte>? OnBody(ReadOnlyMemory<byte> upstream)
    {
        if (upstream.IsEmpty)
        {
            return null;
        }

        Started = true;
        Usage = AnthropicUsageReader.Read(upstream.Span);
        return upstream;
    }
}
