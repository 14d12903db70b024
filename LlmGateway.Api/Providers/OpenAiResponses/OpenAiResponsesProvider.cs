using LlmGateway.Api.Configuration;
using LlmGateway.Api.Providers.OpenAiCompatible;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiResponses;

/// <summary>
/// OpenAI's Responses API (<c>POST {base}/responses</c>) of an OpenAI or Azure OpenAI deployment that speaks it
/// (<see cref="DeploymentConfig.UseResponsesApi"/>). Azure is always addressed by its v1 path, <c>/openai/v1/responses</c>,
/// which takes no <c>api-version</c>.
/// </summary>
public sealed class OpenAiResponsesProvider : IUpstreamProvider
{
    public IUpstreamAdapter Adapter { get; } = new OpenAiResponsesAdapter();

    public bool Supports(UpstreamOperation operation) => operation == UpstreamOperation.Chat;

    public HttpRequestMessage CreateRequest(DeploymentConfig deployment, UpstreamOperation operation, ReadOnlyMemory<byte> body, UpstreamHeaders headers) =>
        OpenAiCompatibleProvider.Post(Address(deployment), body, deployment);

    /// <summary>The deployment's <c>responses</c> endpoint.</summary>
    public static Uri Address(DeploymentConfig deployment)
    {
        if (deployment.Provider != ProviderKind.AzureOpenAI)
        {
            return OpenAiCompatibleProvider.Address(deployment, "responses");
        }

        var baseUri = deployment.ApiBase ?? new Uri("http://azure.invalid/");
        var isV1Base = baseUri.AbsolutePath.EndsWith("/openai/v1/", StringComparison.OrdinalIgnoreCase);
        return new Uri(baseUri, isV1Base ? "responses" : "openai/v1/responses");
    }
}
