using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiCompatible;

/// <summary>The OpenAI-compatible chat completions format of OpenAI, Azure, vLLM, Ollama and the mock.</summary>
public sealed class OpenAiChatAdapter : IUpstreamAdapter
{
    public WireFormat Format => WireFormat.OpenAi;

    public TranslationResult<JsonObject> EncodeRequest(CanonicalRequest request, UpstreamTarget target) =>
        OpenAiChatRequestEncoder.Encode(request, target);

    public IUpstreamStreamDecoder NewStreamDecoder() => new OpenAiChatStreamDecoder(ToolCallIds.NewPrefix());

    public CanonicalResponse? DecodeBody(ReadOnlySpan<byte> json) => OpenAiChatBodyDecoder.Decode(json);

    public ResponseTranslation PassThrough(StreamEncoderOptions options) => new OpenAiChatPassThrough(options);
}

/// <summary>Ids for tool calls a server streamed without one: unique per answer, as Anthropic clients need.</summary>
internal static class ToolCallIds
{
    public static string NewPrefix() => "toolu_" + Guid.NewGuid().ToString("N")[..16] + "_";
}
