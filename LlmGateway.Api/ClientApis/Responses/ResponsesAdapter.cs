using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
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
}
