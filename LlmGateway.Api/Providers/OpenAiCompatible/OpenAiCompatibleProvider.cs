using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiCompatible;

/// <summary>
/// OpenAI, Azure OpenAI, vLLM, Ollama's <c>/v1</c>, any OpenAI-compatible server and the built-in mock:
/// one adapter, configured by the deployment's base URL, API version and key.
/// </summary>
public sealed class OpenAiCompatibleProvider : IUpstreamProvider
{
    /// <summary>The Azure API version used when a classic Azure deployment names none.</summary>
    public const string DefaultAzureApiVersion = "2024-10-21";

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    /// <summary>
    /// Per deployment (a changed deployment is a new record, so its entry goes with the old one): its <c>Authorization</c>
    /// value, built once instead of per request. Header values are only read when a request is sent, so one instance
    /// serves concurrent requests, as <see cref="Json"/> does.
    /// </summary>
    private static readonly ConditionalWeakTable<DeploymentConfig, Cached> PerDeployment = new();

    private sealed class Cached
    {
        public AuthenticationHeaderValue? Bearer;
    }

    public IUpstreamAdapter Adapter { get; } = new OpenAiChatAdapter();

    public bool Supports(UpstreamOperation operation) => operation != UpstreamOperation.CountTokens;

    public HttpRequestMessage CreateRequest(DeploymentConfig deployment, UpstreamOperation operation, ReadOnlyMemory<byte> body, UpstreamHeaders headers)
    {
        var path = operation == UpstreamOperation.Chat ? "chat/completions" : "embeddings";
        return Post(Address(deployment, path), body, deployment);
    }

    /// <summary>A POST of <paramref name="body"/> to <paramref name="address"/> with the deployment's key (Azure's <c>api-key</c>, else Bearer).</summary>
    public static HttpRequestMessage Post(Uri address, ReadOnlyMemory<byte> body, DeploymentConfig deployment)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, address)
        {
            Content = new ReadOnlyMemoryContent(body) { Headers = { ContentType = Json } },
            Version = System.Net.HttpVersion.Version11,
        };
        if (!string.IsNullOrEmpty(deployment.ApiKey))
        {
            if (deployment.Provider == ProviderKind.AzureOpenAI)
            {
                request.Headers.TryAddWithoutValidation("api-key", deployment.ApiKey);
            }
            else
            {
                var cached = PerDeployment.GetValue(deployment, static _ => new Cached());
                request.Headers.Authorization = cached.Bearer ??= new AuthenticationHeaderValue("Bearer", deployment.ApiKey);
            }
        }

        if (deployment.Provider == ProviderKind.Mock)
        {
            request.Options.Set(Mock.MockHandler.DeploymentOption, deployment);
        }

        return request;
    }

    /// <summary>The endpoint URL; Azure has the classic deployment path with <c>api-version</c>, and the v1 path without.</summary>
    public static Uri Address(DeploymentConfig deployment, string path) => UpstreamAddresses.Of(deployment, path, Build);

    private static Uri Build(DeploymentConfig deployment, string path)
    {
        var baseUri = deployment.ApiBase ?? new Uri("http://mock.invalid/v1/");
        if (deployment.Provider != ProviderKind.AzureOpenAI)
        {
            return new Uri(baseUri, path);
        }

        var isV1Base = baseUri.AbsolutePath.EndsWith("/openai/v1/", StringComparison.OrdinalIgnoreCase);
        if (isV1Base || string.Equals(deployment.ApiVersion, "v1", StringComparison.OrdinalIgnoreCase))
        {
            return new Uri(baseUri, isV1Base ? path : $"openai/v1/{path}");
        }

        var version = Uri.EscapeDataString(deployment.ApiVersion ?? DefaultAzureApiVersion);
        return new Uri(baseUri, $"openai/deployments/{Uri.EscapeDataString(deployment.ProviderModel)}/{path}?api-version={version}");
    }
}
