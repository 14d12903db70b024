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

    private static Task HandleAsync(HttpContext context, [AsParameters] ProxyServices services) =>
        ProxyPipeline.RunAsync<ChatRequest>(context, services, ClientFormat.OpenAi, ChatRequest.TryRead,
            r => new RequestFacts(r.Model, r.MaxTokens, r.Stream, r.User), services.Proxy.ChatCompletionsAsync, "chat_completions");
}
