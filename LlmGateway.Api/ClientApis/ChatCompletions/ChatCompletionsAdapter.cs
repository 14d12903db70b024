using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.ClientApis.ChatCompletions;

/// <summary>OpenAI's chat completions as a client format (<c>/v1/chat/completions</c>).</summary>
public sealed class ChatCompletionsAdapter : IClientAdapter
{
    public ClientFormat Format => ClientFormat.OpenAi;

    public WireFormat NativeUpstream => WireFormat.OpenAi;

    public string IdPrefix => "chatcmpl-";

    public TranslationResult<CanonicalRequest> Decode(JsonObject body) => ChatCompletionsRequestDecoder.Decode(body);

    public IClientStreamEncoder NewStreamEncoder(ResponseIdentity identity, StreamEncoderOptions options) =>
        new ChatCompletionsStreamEncoder(identity, options);

    public byte[] EncodeBody(CanonicalResponse response, ResponseIdentity identity) => ChatCompletionsBodyEncoder.Encode(response, identity);
}
