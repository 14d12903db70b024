using LlmGateway.Api.ClientApis;
using LlmGateway.Api.ClientApis.Completions;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Proxy;
using LlmGateway.Api.Translation;
using Microsoft.AspNetCore.Mvc;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// OpenAI's legacy text completions, <c>POST /v1/completions</c> (and <c>/completions</c>): passed through to a deployment that
/// speaks them (<c>use_completions_api</c>), else translated to any chat backend, several prompts or <c>n</c> &gt; 1 as several calls
/// (<see cref="CompletionsFanOut"/>). Every prompt × <c>n</c> is reserved.
/// </summary>
public static class CompletionsApi
{
    public static IEndpointRouteBuilder MapCompletionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/completions", HandleAsync).WithName("Completions").WithSummary("OpenAI legacy text completions, served by chat models.");
        app.MapPost("/completions", HandleAsync).ExcludeFromDescription();
        return app;
    }

    private static Task HandleAsync(HttpContext context, ProxyServices services, [FromServices] CompletionsOptions options) =>
        ProxyPipeline.RunAsync<CompletionsRequest>(context, services, ClientAdapters.Completions, CompletionsRequest.TryRead,
            r => new RequestFacts(r.Model, r.MaxTokens, r.Stream, r.User) { Choices = r.Choices },
            r => new CallShape(UpstreamOperation.Chat, r.Stream, r.IncludeUsage, deployment => new BodyRewriter.Options(deployment.ProviderModel)
            {
                // Passed through: the usage chunk is always asked for; a ceiling never raises OpenAI's default of 16 tokens.
                ForceIncludeUsage = r.Stream,
                MaxTokensCeiling = deployment.MaxTokens is { } ceiling ? (int)Math.Min(ceiling, r.MaxTokens) : null,
            })
            {
                // Several prompts or n > 1 for a chat model: one call per prompt (and per answer where n cannot be passed).
                FanOut = r.Prompts > 1 || r.N > 1 ? (body, group, fallbacks) => CompletionsFanOut.Plan(body, r, group, fallbacks, options) : null,
            },
            CallType);

    /// <summary>LiteLLM's call type for text completions, in the ledger and the cache key.</summary>
    public const string CallType = "text_completion";
}
