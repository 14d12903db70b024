using LlmGateway.Api.ClientApis;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Proxy;
using LlmGateway.Api.Translation;

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

    private static Task HandleAsync(HttpContext context, ProxyServices services) =>
        ProxyPipeline.RunAsync<ChatRequest>(context, services, ClientAdapters.ChatCompletions, ChatRequest.TryRead,
            r => new RequestFacts(r.Model, r.MaxTokens, r.Stream, r.User) { Choices = r.N },
            r => new CallShape(UpstreamOperation.Chat, r.Stream, r.IncludeUsage, deployment => new BodyRewriter.Options(deployment.ProviderModel)
            {
                ForceIncludeUsage = r.Stream,
                MaxTokensCeiling = deployment.MaxTokens,
                KeepMockResponse = deployment.Provider == ProviderKind.Mock,
            }),
            "chat_completions");
}
