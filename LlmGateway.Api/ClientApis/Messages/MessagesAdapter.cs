using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.ClientApis.Messages;

/// <summary>Anthropic's Messages API as a client format (<c>/v1/messages</c>).</summary>
public sealed class MessagesAdapter : IClientAdapter
{
    public ClientFormat Format => ClientFormat.Anthropic;

    public WireFormat NativeUpstream => WireFormat.Anthropic;

    public string IdPrefix => "msg_";

    public TranslationResult<CanonicalRequest> Decode(JsonObject body) => MessagesRequestDecoder.Decode(body);

    public IClientStreamEncoder NewStreamEncoder(ResponseIdentity identity, StreamEncoderOptions options) => new MessagesStreamEncoder(identity);

    public byte[] EncodeBody(CanonicalResponse response, ResponseIdentity identity) => MessagesBodyEncoder.Encode(response, identity);
}
