using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace LlmGateway.Tests.Fakes;

/// <summary>The official SDKs, pointed at the fake, parse everything it sends.</summary>
public sealed class FakeProviderSdkTests : FakeProviderTestBase
{
    private static readonly (string Id, string Name, string ArgumentsJson) Weather = ("call_1", "get_weather", """{"city":"Paris"}""");

    private ChatClient OpenAiChat(string model = "gpt-test") =>
        new(model, new ApiKeyCredential("x"), new OpenAIClientOptions { Endpoint = Server.OpenAiBase });

    private AnthropicClient Anthropic() =>
        new() { ApiKey = "x", BaseUrl = Server.AnthropicBase.ToString(), ResponseValidation = true, MaxRetries = 0 };

    private static MessageCreateParams Hello(string model = "claude-test") => new()
    {
        Model = model,
        MaxTokens = 100,
        Messages = [new UserMessageParam("Say hello")],
    };

    [Fact]
    public async Task OpenAiSdkReadsANonStreamedCompletion()
    {
        ChatCompletion completion = await OpenAiChat().CompleteChatAsync([new UserChatMessage("Say hello")], cancellationToken: Timeout);

        Assert.Equal("Hello from fake-openai model gpt-test", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal((3, 5), (completion.Usage.InputTokenCount, completion.Usage.OutputTokenCount));
        Assert.Equal("Bearer x", Server.Requests[0].Header("authorization"));
        Assert.Equal("/v1/chat/completions", Server.Requests[0].Path);
    }

    [Fact]
    public async Task OpenAiSdkStreamsTextAndUsage()
    {
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in OpenAiChat().CompleteChatStreamingAsync([new UserChatMessage("Say hello")], cancellationToken: Timeout))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            usage ??= update.Usage;
        }

        Assert.Equal("Hello from fake-openai model gpt-test", text.ToString());
        Assert.Equal(8, usage?.TotalTokenCount);
        Assert.True((bool?)Server.Requests[0].Json!["stream_options"]?["include_usage"]);
        Assert.Equal(1, Server.StreamsCompleted);
    }

    [Fact]
    public async Task OpenAiSdkReadsToolCallsStreamedOrNot()
    {
        Server.Default = new FakeResponse { Text = "", ToolCalls = [Weather] };

        ChatCompletion completion = await OpenAiChat().CompleteChatAsync([new UserChatMessage("Weather?")], cancellationToken: Timeout);
        var arguments = new StringBuilder();
        string? name = null;
        ChatFinishReason? finish = null;
        await foreach (var update in OpenAiChat().CompleteChatStreamingAsync([new UserChatMessage("Weather?")], cancellationToken: Timeout))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                name ??= call.FunctionName;
                arguments.Append(call.FunctionArgumentsUpdate?.ToString());
            }
            finish ??= update.FinishReason;
        }

        var toolCall = Assert.Single(completion.ToolCalls);
        Assert.Equal(("call_1", "get_weather", """{"city":"Paris"}"""), (toolCall.Id, toolCall.FunctionName, toolCall.FunctionArguments.ToString()));
        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        Assert.Equal(("get_weather", """{"city":"Paris"}""", ChatFinishReason.ToolCalls), (name, arguments.ToString(), finish));
    }

    [Fact]
    public async Task OpenAiSdkReadsEmbeddings()
    {
        var client = new EmbeddingClient("text-embedding-3-small", new ApiKeyCredential("x"), new OpenAIClientOptions { Endpoint = Server.OpenAiBase });

        OpenAIEmbedding embedding = await client.GenerateEmbeddingAsync("hello", cancellationToken: Timeout);

        Assert.Equal(FakeOpenAiEmbeddings.Vector("hello"), embedding.ToFloats().ToArray());
        Assert.Equal("base64", (string?)Server.Requests[0].Json!["encoding_format"]);
    }

    [Fact]
    public async Task OpenAiSdkTalksToTheAzureV1Path()
    {
        var client = new ChatClient("my-deployment", new ApiKeyCredential("x"), new OpenAIClientOptions { Endpoint = new Uri(Server.BaseUri, "openai/v1") });

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Timeout);

        Assert.Equal("Hello from fake-openai model my-deployment", completion.Content[0].Text);
        Assert.Equal("/openai/v1/chat/completions", Server.Requests[0].Path);
    }

    [Fact]
    public async Task AnthropicSdkReadsANonStreamedMessage()
    {
        var message = await Anthropic().Messages.Create(Hello(), Timeout);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("Hello from fake-anthropic model claude-test", text.Text);
        Assert.Equal("end_turn", message.StopReason?.Raw());
        Assert.Equal((3, 5), (message.Usage.InputTokens, message.Usage.OutputTokens));
        // SDK 13.x sends ApiKey as a bearer token, not x-api-key.
        Assert.Equal("Bearer x", Server.Requests[0].Header("authorization"));
        Assert.NotNull(Server.Requests[0].Header("anthropic-version"));
    }

    [Fact]
    public async Task AnthropicSdkStreamsTextAndUsage()
    {
        var text = new StringBuilder();
        long? outputTokens = null;
        await foreach (var streamEvent in Anthropic().Messages.CreateStreaming(Hello(), Timeout))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
                text.Append(textDelta.Text);
            if (streamEvent.TryPickDelta(out var messageDelta))
                outputTokens = messageDelta.Usage.OutputTokens;
        }

        Assert.Equal("Hello from fake-anthropic model claude-test", text.ToString());
        Assert.Equal(5, outputTokens);
    }

    [Fact]
    public async Task AnthropicSdkReadsToolUseStreamedOrNot()
    {
        Server.Default = new FakeResponse { Text = "Let me check.", ToolCalls = [("toolu_1", "get_weather", """{"city":"Paris"}""")] };

        var message = await Anthropic().Messages.Create(Hello(), Timeout);
        var partialJson = new StringBuilder();
        string? toolName = null;
        await foreach (var streamEvent in Anthropic().Messages.CreateStreaming(Hello(), Timeout))
        {
            if (streamEvent.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var started))
                toolName = started.Name;
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var json))
                partialJson.Append(json.PartialJson);
        }

        Assert.True(message.Content[1].TryPickToolUse(out var toolUse));
        Assert.Equal(("toolu_1", "get_weather"), (toolUse.ID, toolUse.Name));
        Assert.Equal("Paris", toolUse.Input["city"].GetString());
        Assert.Equal(StopReason.ToolUse, message.StopReason?.Value());
        Assert.Equal(("get_weather", """{"city":"Paris"}"""), (toolName, partialJson.ToString()));
    }

    [Fact]
    public async Task SdksReadScriptedErrorsFromEachProvidersEnvelope()
    {
        Server.Enqueue(FakeResponse.Error(429, "slow down", TimeSpan.FromSeconds(1)), FakeResponse.Error(529, "Overloaded"));
        var openAi = new ChatClient("gpt-test", new ApiKeyCredential("x"),
            new OpenAIClientOptions { Endpoint = Server.OpenAiBase, RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });

        var rateLimited = await Assert.ThrowsAsync<ClientResultException>(() => openAi.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: Timeout));
        var overloaded = await Assert.ThrowsAnyAsync<AnthropicServiceException>(() => Anthropic().Messages.Create(Hello(), Timeout));

        Assert.Equal(429, rateLimited.Status);
        Assert.Contains("slow down", rateLimited.Message);
        Assert.Contains("overloaded", $"{overloaded.GetType().Name} {overloaded.Type?.Raw()}", StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Overloaded", overloaded.ApiMessage);
    }

    [Fact]
    public async Task AnthropicSdkThrowsOnAnInBandErrorWhileOpenAiSdkJustStopsWithoutAFinishReason()
    {
        Server.Default = new FakeResponse { InBandErrorAfterChunks = 1, ErrorMessage = "boom" };

        // OpenAI .NET 2.15 ignores a data: {"error":…} event (openai-python raises); a gateway must look for it itself.
        var finishReasons = new List<ChatFinishReason>();
        await foreach (var update in OpenAiChat().CompleteChatStreamingAsync([new UserChatMessage("hi")], cancellationToken: Timeout))
        {
            if (update.FinishReason is { } finish)
                finishReasons.Add(finish);
        }
        var anthropicFailure = await Record.ExceptionAsync(async () =>
        {
            await foreach (var _ in Anthropic().Messages.CreateStreaming(Hello(), Timeout)) { }
        });

        Assert.Empty(finishReasons);
        Assert.Contains("boom", Assert.IsAssignableFrom<AnthropicException>(anthropicFailure).ToString());
    }
}
