using LlmGateway.Api.ClientApis;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Translation;
using LlmGateway.Api.Proxy;

namespace LlmGateway.Api.Endpoints;

/// <summary>OpenAI's embeddings, <c>POST /v1/embeddings</c>, for OpenAI-compatible deployments.</summary>
public static class EmbeddingsApi
{
    public static IEndpointRouteBuilder MapEmbeddingsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/embeddings", HandleAsync).WithName("Embeddings").WithSummary("OpenAI-compatible embeddings.");
        app.MapPost("/embeddings", HandleAsync).ExcludeFromDescription();
        return app;
    }

    private static Task HandleAsync(HttpContext context, ProxyServices services) =>
        ProxyPipeline.RunAsync<EmbeddingsRequest>(context, services, ClientAdapters.ChatCompletions, EmbeddingsRequest.TryRead,
            r => new RequestFacts(r.Model, null, false, null),
            r => new CallShape(UpstreamOperation.Embeddings, false, false, deployment => new BodyRewriter.Options(deployment.ProviderModel)),
            "embeddings");
}
