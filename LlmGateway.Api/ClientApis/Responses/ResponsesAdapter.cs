using System.Text.Json.Nodes;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.ClientApis.Responses;

/// <summary>OpenAI's Responses API as a client format (<c>/v1/responses</c>); native to OpenAI's own <c>/v1/responses</c>.</summary>
public sealed class ResponsesAdapter : IClientAdapter
{
    public ClientFormat Format => ClientFormat.OpenAi;

    public WireFormat NativeUpstream => WireFormat.OpenAiResponses;

    public string IdPrefix => "resp_";

    public TranslationResult<CanonicalRequest> Decode(JsonObject body) => ResponsesRequestDecoder.Decode(body);

    public IClientStreamEncoder NewStreamEncoder(ResponseIdentity identity, StreamEncoderOptions options) => new ResponsesStreamEncoder(identity);

    public byte[] EncodeBody(CanonicalResponse response, ResponseIdentity identity) => ResponsesBodyEncoder.Encode(response, identity);

    /// <summary>The Responses grammar's <c>error</c> event (there is no <c>[DONE]</c>): Codex and the SDKs stop on it instead of retrying a silent end.</summary>
    public void WriteStreamError(SseWriter writer, GatewayError error)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", "error");
            json.WriteString("code", error.Code ?? error.Type);
            json.WriteString("message", error.Message);
            json.WriteNull("param");
            json.WriteEndObject();
        }

        writer.Event("error", buffer.WrittenSpan);
    }
}
