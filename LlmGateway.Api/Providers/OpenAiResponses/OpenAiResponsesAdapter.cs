using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiResponses;

/// <summary>OpenAI's Responses API as an upstream format (<c>/v1/responses</c> of OpenAI and Azure OpenAI).</summary>
public sealed class OpenAiResponsesAdapter : IUpstreamAdapter
{
    public WireFormat Format => WireFormat.OpenAiResponses;

    public TranslationResult<JsonObject> EncodeRequest(CanonicalRequest request, UpstreamTarget target) =>
        OpenAiResponsesRequestEncoder.Encode(request, target);

    public IUpstreamStreamDecoder NewStreamDecoder() => new OpenAiResponsesStreamDecoder();

    public CanonicalResponse? DecodeBody(ReadOnlySpan<byte> json) => OpenAiResponsesBodyDecoder.Decode(json);

    public ResponseTranslation PassThrough(StreamEncoderOptions options) => new OpenAiResponsesPassThrough();
}
