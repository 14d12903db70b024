using System.Net.Http.Headers;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>Anthropic's Messages API: <c>POST {base}/v1/messages</c> (and <c>/count_tokens</c>) with <c>x-api-key</c> and <c>anthropic-version</c>.</summary>
public sealed class AnthropicProvider : IUpstreamProvider
{
    public const string ApiVersion = "2023-06-01";

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public IUpstreamAdapter Adapter { get; } = new AnthropicAdapter();

    public bool Supports(UpstreamOperation operation) => operation is UpstreamOperation.Chat or UpstreamOperation.CountTokens;

    public HttpRequestMessage CreateRequest(DeploymentConfig deployment, UpstreamOperation operation, ReadOnlyMemory<byte> body, UpstreamHeaders headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, UpstreamAddresses.Of(deployment, operation == UpstreamOperation.CountTokens ? "v1/messages/count_tokens" : "v1/messages"))
        {
            Content = new ReadOnlyMemoryContent(body) { Headers = { ContentType = Json } },
        };
        if (!string.IsNullOrEmpty(deployment.ApiKey))
        {
            request.Headers.TryAddWithoutValidation("x-api-key", deployment.ApiKey);
        }

        request.Headers.TryAddWithoutValidation("anthropic-version", headers.AnthropicVersion ?? ApiVersion);
        if (headers.AnthropicBeta is { } beta)
        {
            request.Headers.TryAddWithoutValidation("anthropic-beta", beta);
        }

        return request;
    }
}
