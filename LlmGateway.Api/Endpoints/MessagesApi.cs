using LlmGateway.Api.Contracts;
using LlmGateway.Api.Proxy;

namespace LlmGateway.Api.Endpoints;

/// <summary>Anthropic's Messages API inbound, <c>POST /v1/messages</c>, served by any backend.</summary>
public static class MessagesApi
{
    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/messages", HandleAsync).WithName("Messages").WithSummary("Anthropic-compatible Messages API.");
        return app;
    }

    private static Task HandleAsync(HttpContext context, [AsParameters] ProxyServices services) =>
        ProxyPipeline.RunAsync<MessagesRequest>(context, services, ClientFormat.Anthropic, MessagesRequest.TryRead,
            r => new RequestFacts(r.Model, r.MaxTokens, r.Stream, null), services.Proxy.MessagesAsync, "messages");
}
