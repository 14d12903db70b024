using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.ClientApis.Messages;
using LlmGateway.Api.ClientApis.Responses;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.ClientApis;

/// <summary>The client formats the gateway speaks; an endpoint names the one it serves.</summary>
public static class ClientAdapters
{
    public static IClientAdapter ChatCompletions { get; } = new ChatCompletionsAdapter();

    public static IClientAdapter Messages { get; } = new MessagesAdapter();

    public static IClientAdapter Completions { get; } = new Completions.CompletionsAdapter();

    public static IClientAdapter Responses { get; } = new ResponsesAdapter();
}
