using System.Text;
using System.Text.Json;
using Anthropic.Models.Messages;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Models;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// The official OpenAI and Anthropic SDKs against the gateway, each over an OpenAI-backed and an Anthropic-backed model
/// group: what the fake scripted (text, tool calls, stop reasons, usage) is what the SDK reads, and the upstream saw the
/// provider's model.
/// </summary>
public sealed class ProxySdkTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    private const string Answer = "The answer is forty-two, friend.";
    private static readonly FakeResponse Scripted = new() { Text = Answer, PromptTokens = 11, CompletionTokens = 7 };
    private static readonly FakeResponse ToolScript = new()
    {
        Text = "", ToolCalls = [("call_weather_1", "get_weather", """{"city":"Paris","unit":"celsius"}""")], PromptTokens = 13, CompletionTokens = 9,
    };

    public static TheoryData<string, string, string> Groups => new()
    {
        { OpenAiGroup, "gpt-test", "/v1/chat/completions" },
        { AnthropicGroup, "claude-test", "/v1/messages" },
    };

    public static TheoryData<string, string, bool> GroupsStreamedOrNot => new()
    {
        { OpenAiGroup, "/v1/chat/completions", false },
        { OpenAiGroup, "/v1/chat/completions", true },
        { AnthropicGroup, "/v1/messages", false },
        { AnthropicGroup, "/v1/messages", true },
    };

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task OpenAiSdkReadsTheScriptedCompletionAndUsageAndTheUpstreamSawTheProviderModel(string group, string providerModel, string upstreamPath)
    {
        Fake.Default = Scripted;

        ChatCompletion completion = await OpenAiChat(group).CompleteChatAsync([new UserChatMessage("Say hello")], cancellationToken: Timeout);

        Assert.Equal(Answer, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal((11, 7, 18), (completion.Usage.InputTokenCount, completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount));
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal((upstreamPath, providerModel), (upstream.Path, upstream.Model));
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task OpenAiSdkStreamsTheScriptedTextFinishReasonAndUsage(string group, string providerModel, string upstreamPath)
    {
        Fake.Default = Scripted;

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        var finishes = new List<ChatFinishReason>();
        await foreach (var update in OpenAiChat(group).CompleteChatStreamingAsync([new UserChatMessage("Say hello")], cancellationToken: Timeout))
        {
            foreach (var part in update.ContentUpdate)
                text.Append(part.Text);
            if (update.FinishReason is { } finish)
                finishes.Add(finish);
            usage ??= update.Usage;
        }

        Assert.Equal(Answer, text.ToString());
        Assert.Equal([ChatFinishReason.Stop], finishes);
        Assert.NotNull(usage);
        Assert.Equal((11, 7, 18), (usage.InputTokenCount, usage.OutputTokenCount, usage.TotalTokenCount));
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal((upstreamPath, providerModel, true), (upstream.Path, upstream.Model, (bool?)upstream.Json!["stream"]));
    }

    [Theory]
    [MemberData(nameof(GroupsStreamedOrNot))]
    public async Task OpenAiSdkReadsToolCallNamesArgumentsAndFinishReason(string group, string upstreamPath, bool stream)
    {
        Fake.Default = ToolScript;
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Current weather", BinaryData.FromString(
                """{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"}},"required":["city"]}""")) },
        };

        string? id, name, arguments;
        ChatFinishReason? finish;
        if (stream)
        {
            var builder = new StringBuilder();
            (id, name, finish) = (null, null, null);
            await foreach (var update in OpenAiChat(group).CompleteChatStreamingAsync([new UserChatMessage("Weather in Paris?")], options, Timeout))
            {
                foreach (var call in update.ToolCallUpdates)
                {
                    id ??= call.ToolCallId;
                    name ??= call.FunctionName;
                    builder.Append(call.FunctionArgumentsUpdate?.ToString());
                }
                finish ??= update.FinishReason;
            }
            arguments = builder.ToString();
        }
        else
        {
            ChatCompletion completion = await OpenAiChat(group).CompleteChatAsync([new UserChatMessage("Weather in Paris?")], options, Timeout);
            var call = Assert.Single(completion.ToolCalls);
            (id, name, arguments, finish) = (call.Id, call.FunctionName, call.FunctionArguments.ToString(), completion.FinishReason);
            Assert.Equal((13, 9), (completion.Usage.InputTokenCount, completion.Usage.OutputTokenCount));
        }

        Assert.Equal(("call_weather_1", "get_weather", ChatFinishReason.ToolCalls), (id, name, finish));
        Assert.Equal("Paris", JsonDocument.Parse(arguments!).RootElement.GetProperty("city").GetString());
        Assert.Equal("celsius", JsonDocument.Parse(arguments!).RootElement.GetProperty("unit").GetString());
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal(upstreamPath, upstream.Path);
        Assert.Contains("get_weather", upstream.Body);
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task AnthropicSdkReadsTheScriptedMessageStopReasonAndUsage(string group, string providerModel, string upstreamPath)
    {
        Fake.Default = Scripted;

        var message = await AnthropicSdk().Messages.Create(Hello(group), Timeout);

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(Answer, text.Text);
        Assert.Equal(StopReason.EndTurn, message.StopReason?.Value());
        Assert.Equal((11L, 7L), (message.Usage.InputTokens, message.Usage.OutputTokens));
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal((upstreamPath, providerModel), (upstream.Path, upstream.Model));
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task AnthropicSdkStreamsTheScriptedTextStopReasonAndUsage(string group, string providerModel, string upstreamPath)
    {
        Fake.Default = Scripted;

        var text = new StringBuilder();
        var messageStarts = 0;
        StopReason? stop = null;
        long? outputTokens = null, inputTokens = null;
        await foreach (var streamEvent in AnthropicSdk().Messages.CreateStreaming(Hello(group), Timeout))
        {
            if (streamEvent.TryPickStart(out var start))
            {
                messageStarts++;
                inputTokens = start.Message.Usage.InputTokens;
            }
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var textDelta))
                text.Append(textDelta.Text);
            if (streamEvent.TryPickDelta(out var messageDelta))
            {
                stop = messageDelta.Delta.StopReason?.Value();
                outputTokens = messageDelta.Usage.OutputTokens;
                inputTokens = messageDelta.Usage.InputTokens is { } input and > 0 ? input : inputTokens;
            }
        }

        Assert.Equal(Answer, text.ToString());
        Assert.Equal(1, messageStarts);
        Assert.Equal(StopReason.EndTurn, stop);
        Assert.Equal((11L, 7L), (inputTokens, outputTokens));
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal((upstreamPath, providerModel, true), (upstream.Path, upstream.Model, (bool?)upstream.Json!["stream"]));
    }

    [Theory]
    [MemberData(nameof(GroupsStreamedOrNot))]
    public async Task AnthropicSdkReadsToolUseNameInputAndStopReason(string group, string upstreamPath, bool stream)
    {
        Fake.Default = ToolScript with { Text = "Let me check." };
        var request = Hello(group) with
        {
            Tools = [new Tool
            {
                Name = "get_weather",
                Description = "Current weather",
                InputSchema = new InputSchema
                {
                    Properties = new Dictionary<string, JsonElement>
                    {
                        ["city"] = JsonSerializer.SerializeToElement(new { type = "string" }),
                        ["unit"] = JsonSerializer.SerializeToElement(new { type = "string" }),
                    },
                    Required = ["city"],
                },
            }],
        };

        string? id, name, input, text;
        StopReason? stop;
        if (stream)
        {
            var json = new StringBuilder();
            var textBuilder = new StringBuilder();
            (id, name, stop) = (null, null, null);
            await foreach (var streamEvent in AnthropicSdk().Messages.CreateStreaming(request, Timeout))
            {
                if (streamEvent.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var started))
                    (id, name) = (started.ID, started.Name);
                if (streamEvent.TryPickContentBlockDelta(out var delta))
                {
                    if (delta.Delta.TryPickInputJson(out var partial))
                        json.Append(partial.PartialJson);
                    if (delta.Delta.TryPickText(out var textDelta))
                        textBuilder.Append(textDelta.Text);
                }
                if (streamEvent.TryPickDelta(out var messageDelta))
                    stop = messageDelta.Delta.StopReason?.Value();
            }
            (input, text) = (json.ToString(), textBuilder.ToString());
        }
        else
        {
            var message = await AnthropicSdk().Messages.Create(request, Timeout);
            Assert.True(message.Content[0].TryPickText(out var first));
            var toolUse = message.Content.Select(block => block.TryPickToolUse(out var use) ? use : null).Single(use => use is not null)!;
            (id, name, input, text, stop) = (toolUse.ID, toolUse.Name, JsonSerializer.Serialize(toolUse.Input), first.Text, message.StopReason?.Value());
            Assert.Equal((13L, 9L), (message.Usage.InputTokens, message.Usage.OutputTokens));
        }

        Assert.Equal(("call_weather_1", "get_weather", StopReason.ToolUse, "Let me check."), (id, name, stop, text));
        using var arguments = JsonDocument.Parse(input!);
        Assert.Equal(("Paris", "celsius"), (arguments.RootElement.GetProperty("city").GetString(), arguments.RootElement.GetProperty("unit").GetString()));
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal(upstreamPath, upstream.Path);
        Assert.Contains("get_weather", upstream.Body);
    }

    [Fact]
    public async Task OpenAiSdkReadsEmbeddingsAndTheirUsageFromTheEmbeddingsGroup()
    {
        Fake.Default = new FakeResponse { PromptTokens = 4 };
        var client = new EmbeddingClient(EmbeddingsGroup, new System.ClientModel.ApiKeyCredential(GatewayApiHost.MasterKey), OpenAiOptions());

        OpenAIEmbeddingCollection embeddings = await client.GenerateEmbeddingsAsync(["hello", "world"], cancellationToken: Timeout);

        Assert.Equal(FakeOpenAiEmbeddings.Vector("hello"), embeddings[0].ToFloats().ToArray());
        Assert.Equal(FakeOpenAiEmbeddings.Vector("world"), embeddings[1].ToFloats().ToArray());
        Assert.Equal(4, embeddings.Usage.InputTokenCount);
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal(("/v1/embeddings", "text-embedding-3-small"), (upstream.Path, upstream.Model));
    }

    [Fact]
    public async Task OpenAiSdkListsEveryModelGroupWithoutCallingTheUpstream()
    {
        var client = new OpenAIModelClient(new System.ClientModel.ApiKeyCredential(GatewayApiHost.MasterKey), OpenAiOptions());

        OpenAIModelCollection models = await client.GetModelsAsync(Timeout);

        Assert.Equal(
            new[] { OpenAiGroup, AnthropicGroup, EmbeddingsGroup, AzureClassicGroup, AzureV1Group, SlowGroup, MockGroup, MockScriptedGroup, MockFailingGroup }.Order(),
            models.Select(model => model.Id).Order());
        Assert.Equal(0, Fake.RequestCount);
    }

    private static MessageCreateParams Hello(string model) => new()
    {
        Model = model,
        MaxTokens = 100,
        Messages = [new UserMessageParam("Say hello")],
    };
}
