using LlmGateway.Api.Streaming;

namespace LlmGateway.Api.Translation;

/// <summary>A pair of different formats: the upstream's events decoded to canonical ones, encoded in the client's grammar.</summary>
public sealed class CanonicalTranslation(
    IUpstreamStreamDecoder decoder, IClientStreamEncoder encoder, IUpstreamAdapter upstream, IClientAdapter client, ResponseIdentity identity)
    : ResponseTranslation
{
    private readonly List<ResponseEvent> events = new(4);

    public override StreamStep OnEvent(SseEvent upstreamEvent, SseWriter writer, bool committed)
    {
        events.Clear();
        decoder.Decode(upstreamEvent.Name, upstreamEvent.Data, events);
        var terminal = false;
        foreach (var e in events)
        {
            switch (e)
            {
                case ResponseFailed failed:
                    Folder?.Add(failed);
                    if (committed)
                    {
                        encoder.Write(failed, writer);
                    }

                    return new StreamStep(true, failed);
                case UsageReported usage:
                    Usage = usage.Usage;
                    break;
                case ResponseStarted or BlockStarted:
                    Started = true;
                    break;
                case ResponseCompleted:
                    terminal = true;
                    break;
            }

            Folder?.Add(e);
            if (terminal && !Started)
            {
                return new StreamStep(true); // nothing came: the relay calls it an empty stream, the client sees nothing
            }

            encoder.Write(e, writer);
        }

        return new StreamStep(terminal);
    }

    public override ReadOnlyMemory<byte>? OnBody(ReadOnlyMemory<byte> body)
    {
        if (upstream.DecodeBody(body.Span) is not { } response)
        {
            return null;
        }

        Started = true;
        Usage = response.Usage;
        return client.EncodeBody(response, identity);
    }
}
