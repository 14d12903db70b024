using LlmGateway.Api.Proxy;

namespace LlmGateway.Api.Endpoints;

/// <summary>Anthropic's token count, <c>POST /v1/messages/count_tokens</c> (also <c>?beta=true</c>), for any model group.</summary>
public static class CountTokensApi
{
    public static IEndpointRouteBuilder MapCountTokensApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/messages/count_tokens", HandleAsync).WithName("CountTokens")
            .WithSummary("Anthropic-compatible token count: exact from an Anthropic deployment, estimated elsewhere (x-gateway-token-count).");
        return app;
    }

    private static Task HandleAsync(HttpContext context, TokenCounter counter) => counter.CountAsync(context);
}
