using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;

namespace LlmGateway.Api.Translation;

/// <summary>What one upstream event meant: the answer's end, or an in-band error (nothing follows either).</summary>
public readonly record struct StreamStep(bool Terminal, ResponseFailed? Error = null)
{
    public static StreamStep Continue => default;
}

/// <summary>
/// How one upstream answer becomes the client's, for one client/upstream pair: bytes passed through (same format) or
/// decoded to canonical events and encoded again. The relay drives it; it reports usage, the end and errors.
/// </summary>
public abstract class ResponseTranslation
{
    /// <summary>The usage the answer reported so far, in canonical terms.</summary>
    public TokenUsage? Usage { get; protected set; }

    /// <summary>The answer has begun (an event with content or a start): an end before this is an empty stream.</summary>
    public bool Started { get; protected set; }

    /// <summary>When set, every canonical event of the answer is folded here (for the response cache).</summary>
    public ResponseFolder? Folder { get; set; }

    /// <summary>
    /// Handles one upstream SSE event, writing the client's bytes to <paramref name="client"/>. An in-band error is
    /// written only once <paramref name="committed"/> (before that, the relay fails over instead).
    /// </summary>
    public abstract StreamStep OnEvent(SseEvent upstream, SseWriter client, bool committed);

    /// <summary>A whole upstream body as the client's whole body; null when it holds no answer.</summary>
    public abstract ReadOnlyMemory<byte>? OnBody(ReadOnlyMemory<byte> upstream);

    private IUpstreamStreamDecoder? foldDecoder;
    private List<ResponseEvent>? foldEvents;

    /// <summary>A pass-through folds for the response cache with the same decoder a translation of its format uses.</summary>
    protected void Fold(SseEvent upstream, Func<IUpstreamStreamDecoder> decoder)
    {
        if (Folder is null)
        {
            return;
        }

        foldDecoder ??= decoder();
        foldEvents ??= [];
        foldEvents.Clear();
        foldDecoder.Decode(upstream.Name, upstream.Data, foldEvents);
        foreach (var e in foldEvents)
        {
            Folder.Add(e);
        }
    }
}

/// <summary>One upstream event as read: its name, its data and its raw bytes (what a pass-through writes).</summary>
public readonly ref struct SseEvent(string name, ReadOnlySpan<byte> data, System.Buffers.ReadOnlySequence<byte> raw)
{
    public string Name { get; } = name;
    public ReadOnlySpan<byte> Data { get; } = data;
    public System.Buffers.ReadOnlySequence<byte> Raw { get; } = raw;
}
