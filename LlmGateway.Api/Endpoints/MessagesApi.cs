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

    private static async Task HandleAsync(HttpContext context, [AsParameters] ProxyServices services)
    {
        var (request, proxy) = await ProxyPipeline.AdmitAsync<MessagesRequest>(context, services, ClientFormat.Anthropic, MessagesRequest.TryRead, r => r.Model);
        if (proxy is not null)
        {
            await services.Proxy.MessagesAsync(proxy, request!);
        }
    }
}
