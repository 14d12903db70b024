using System.Text.Json.Nodes;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers.OpenAiCompatible;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiCompletions;

/// <summary>
/// OpenAI's legacy text completions (<c>POST {base}/completions</c>) of a deployment that speaks them
/// (<see cref="DeploymentConfig.UseCompletionsApi"/>): only a completions client is sent here, so its body passes
/// through unchanged but for the model (every <c>prompt</c> form, <c>n</c>, <c>echo</c>, …), the usage read on the way.
/// </summary>
public sealed class OpenAiCompletionsProvider : IUpstreamProvider
{
    public IUpstreamAdapter Adapter { get; } = new OpenAiCompletionsAdapter();

    public bool Supports(UpstreamOperation operation) => operation == UpstreamOperation.Chat;

    public HttpRequestMessage CreateRequest(DeploymentConfig deployment, UpstreamOperation operation, ReadOnlyMemory<byte> body, UpstreamHeaders headers) =>
        OpenAiCompatibleProvider.Post(OpenAiCompatibleProvider.Address(deployment, "completions"), body, deployment);
}

/// <summary>
/// The legacy completions format on the provider side: answers carry OpenAI's <c>usage</c>, read as chat's are. Never a
/// translation target (<see cref="ProviderRegistry"/> sends only completions clients here), so encoding is refused.
/// </summary>
public sealed class OpenAiCompletionsAdapter : IUpstreamAdapter
{
    private static readonly OpenAiChatAdapter Chat = new();

    public WireFormat Format => WireFormat.OpenAiCompletions;

    public TranslationResult<JsonObject> EncodeRequest(CanonicalRequest request, UpstreamTarget target) =>
        TranslationResult<JsonObject>.Failure("model", "this deployment serves only legacy text completions (/v1/completions)");

    public IUpstreamStreamDecoder NewStreamDecoder() => Chat.NewStreamDecoder();

    public CanonicalResponse? DecodeBody(ReadOnlySpan<byte> json) => Chat.DecodeBody(json);

    public ResponseTranslation PassThrough(StreamEncoderOptions options) => new OpenAiChatPassThrough(options);
}
