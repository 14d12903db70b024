using LlmGateway.Api.Contracts;
using LlmGateway.Api.Proxy;

namespace LlmGateway.Api.Endpoints;

/// <summary>OpenAI's chat completions: <c>POST /v1/chat/completions</c> (and <c>/chat/completions</c>), streaming and not.</summary>
public static class ChatCompletionsApi
{
    public static IEndpointRouteBuilder MapChatCompletionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", HandleAsync).WithName("ChatCompletions").WithSummary("OpenAI-compatible chat completions.");
        app.MapPost("/chat/completions", HandleAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task HandleAsync(HttpContext context, [AsParameters] ProxyServices services)
    {
        var (request, proxy) = await ProxyPipeline.AdmitAsync<ChatRequest>(context, services, ClientFormat.OpenAi, ChatRequest.TryRead, r => r.Model);
        if (proxy is not null)
        {
            await services.Proxy.ChatCompletionsAsync(proxy, request!);
        }
    }
}
