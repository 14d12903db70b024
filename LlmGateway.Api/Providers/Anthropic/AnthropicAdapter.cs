using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>Anthropic's Messages format.</summary>
public sealed class AnthropicAdapter : IUpstreamAdapter
{
    public WireFormat Format => WireFormat.Anthropic;

    public TranslationResult<JsonObject> EncodeRequest(CanonicalRequest request, UpstreamTarget target) =>
        AnthropicRequestEncoder.Encode(request, target);

    public IUpstreamStreamDecoder NewStreamDecoder() => new AnthropicStreamDecoder();

    public CanonicalResponse? DecodeBody(ReadOnlySpan<byte> json) => AnthropicBodyDecoder.Decode(json);

    public ResponseTranslation PassThrough(StreamEncoderOptions options) => new AnthropicPassThrough();
}
