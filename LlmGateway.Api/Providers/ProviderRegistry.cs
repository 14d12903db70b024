using LlmGateway.Api.Configuration;
using LlmGateway.Api.Providers.Anthropic;
using LlmGateway.Api.Providers.OpenAiCompatible;
using LlmGateway.Api.Providers.OpenAiCompletions;
using LlmGateway.Api.Providers.OpenAiResponses;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers;

/// <summary>
/// The providers the gateway speaks to, one per provider folder; providers and their format adapters are stateless and
/// shared. A new provider format is registered here (and nowhere else): its provider for the deployments that use it.
/// </summary>
public sealed class ProviderRegistry
{
    private static readonly IUpstreamProvider OpenAiCompatible = new OpenAiCompatibleProvider();
    private static readonly IUpstreamProvider Anthropic = new AnthropicProvider();
    private static readonly IUpstreamProvider OpenAiResponses = new OpenAiResponsesProvider();
    private static readonly IUpstreamProvider OpenAiCompletions = new OpenAiCompletionsProvider();
    private static readonly IUpstreamProvider[] All = [OpenAiCompatible, Anthropic, OpenAiResponses, OpenAiCompletions];

    public IUpstreamProvider For(DeploymentConfig deployment) =>
        deployment.Provider == ProviderKind.Anthropic ? Anthropic : OpenAiCompatible;

    /// <summary>
    /// The provider for a client of <paramref name="client"/>'s format: a Responses client of a deployment that speaks
    /// the Responses API (<see cref="DeploymentConfig.UseResponsesApi"/>) goes to its <c>/v1/responses</c>, a legacy completions
    /// client of one that speaks it (<see cref="DeploymentConfig.UseCompletionsApi"/>) to its <c>/v1/completions</c>; every
    /// other pair to the deployment's one provider.
    /// </summary>
    public IUpstreamProvider For(DeploymentConfig deployment, IClientAdapter client) => client.NativeUpstream switch
    {
        WireFormat.OpenAiResponses when deployment.UseResponsesApi => OpenAiResponses,
        WireFormat.OpenAiCompletions when deployment.UseCompletionsApi => OpenAiCompletions,
        _ => For(deployment),
    };

    /// <summary>The adapter of a wire format: how its requests are written and its answers read.</summary>
    public static IUpstreamAdapter AdapterFor(WireFormat format) => All.First(p => p.Format == format).Adapter;

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
