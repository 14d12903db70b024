using LlmGateway.Api.ClientApis;
using LlmGateway.Api.ClientApis.Messages;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Proxy;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Endpoints;

/// <summary>Anthropic's Messages API inbound, <c>POST /v1/messages</c>, served by any backend.</summary>
public static class MessagesApi
{
    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/messages", HandleAsync).WithName("Messages").WithSummary("Anthropic-compatible Messages API.");
        return app;
    }

    private static Task HandleAsync(HttpContext context, ProxyServices services) =>
        ProxyPipeline.RunAsync<MessagesRequest>(context, services, ClientAdapters.Messages, MessagesRequest.TryRead,
            r => new RequestFacts(r.Model, r.MaxTokens, r.Stream, r.EndUser),
            r => new CallShape(UpstreamOperation.Chat, r.Stream, false,
                deployment => new BodyRewriter.Options(deployment.ProviderModel)
                {
                    MaxTokensCeiling = deployment.MaxTokens, KeepMetadata = true, ToolMaxUses = services.Costs.HostedToolCallCeiling,
                }),
            "messages");
}
