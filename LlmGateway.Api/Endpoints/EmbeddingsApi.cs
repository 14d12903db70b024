using LlmGateway.Api.Contracts;
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

    private static Task HandleAsync(HttpContext context, [AsParameters] ProxyServices services) =>
        ProxyPipeline.RunAsync<EmbeddingsRequest>(context, services, ClientFormat.OpenAi, EmbeddingsRequest.TryRead,
            r => new RequestFacts(r.Model, null, false, null), services.Proxy.EmbeddingsAsync, "embeddings");
}
