using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;

namespace LlmGateway.Api.Translation;

/// <summary>
/// A client format (chat completions, Messages, …): decodes its requests into canonical ones and encodes canonical
/// answers back, streamed or whole. One per format, stateless; its folder is <c>ClientApis/&lt;Format&gt;/</c>.
/// </summary>
public interface IClientAdapter
{
    ClientFormat Format { get; }

    /// <summary>The upstream format this client format passes through to unchanged.</summary>
    WireFormat NativeUpstream { get; }

    /// <summary>The prefix of the ids the gateway gives its answers (<c>chatcmpl-</c>, <c>msg_</c>).</summary>
    string IdPrefix { get; }

    TranslationResult<CanonicalRequest> Decode(JsonObject body);

    IClientStreamEncoder NewStreamEncoder(ResponseIdentity identity, StreamEncoderOptions options);

    byte[] EncodeBody(CanonicalResponse response, ResponseIdentity identity);

    /// <summary>
    /// After the first byte, a failure the answer itself did not carry (the upstream broke off): the format's own error
    /// event and its end. OpenAI's chat grammar: <c>data: {"error":…}</c> then <c>[DONE]</c>; Anthropic's: <c>event: error</c>.
    /// </summary>
    void WriteStreamError(SseWriter writer, GatewayError error)
    {
        var json = ErrorWriter.ToBytes(error, Format);
        if (Format == ClientFormat.Anthropic)
        {
            writer.Event("error", json);
            return;
        }

        writer.Data(json);
        writer.Done();
    }
}

/// <summary>
/// A provider format (OpenAI-compatible chat, Anthropic Messages, …): encodes canonical requests, decodes its answers,
/// and passes its own format through unchanged. One per format, stateless; it lives in the provider's folder.
/// </summary>
public interface IUpstreamAdapter
{
    WireFormat Format { get; }

    TranslationResult<JsonObject> EncodeRequest(CanonicalRequest request, UpstreamTarget target);

    IUpstreamStreamDecoder NewStreamDecoder();

    /// <summary>A whole answer; null when the body holds none.</summary>
    CanonicalResponse? DecodeBody(ReadOnlySpan<byte> json);

    /// <summary>Relays this format's answers to a client of the same format: bytes unchanged, usage read on the way.</summary>
    ResponseTranslation PassThrough(StreamEncoderOptions options);
}
