using LlmGateway.Api.Configuration;
using LlmGateway.Api.Providers.Anthropic;
using LlmGateway.Api.Providers.OpenAiCompatible;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers;

/// <summary>The adapter for each provider kind; adapters are stateless and shared.</summary>
public sealed class ProviderRegistry
{
    private readonly IChatProvider openAiCompatible = new OpenAiCompatibleProvider();
    private readonly IChatProvider anthropic = new AnthropicProvider();

    public IChatProvider For(DeploymentConfig deployment) =>
        deployment.Provider == ProviderKind.Anthropic ? anthropic : openAiCompatible;

    /// <summary>The adapter of a wire format: how its requests are written and its answers read.</summary>
    public static IUpstreamAdapter AdapterFor(WireFormat format) => format switch
    {
        WireFormat.Anthropic => Adapters.Anthropic,
        _ => Adapters.OpenAiChat,
    };

    private static class Adapters
    {
        public static readonly IUpstreamAdapter OpenAiChat = new OpenAiChatAdapter();
        public static readonly IUpstreamAdapter Anthropic = new AnthropicAdapter();
    }

    /// <summary>The value of <c>x-gateway-provider</c>.</summary>
    public static string Name(ProviderKind kind) => kind switch
    {
        ProviderKind.OpenAI => "openai",
        ProviderKind.AzureOpenAI => "azure",
        ProviderKind.Anthropic => "anthropic",
        ProviderKind.HostedVllm => "hosted_vllm",
        ProviderKind.Ollama => "ollama",
        ProviderKind.OpenAICompatible => "openai_compatible",
        ProviderKind.Mock => "mock",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
