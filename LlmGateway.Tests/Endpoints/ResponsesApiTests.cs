#pragma warning disable OPENAI001 // the SDK marks its Responses client as evaluation-only
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Clients;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using OpenAI.Responses;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Endpoints;

/// <summary>
/// The official OpenAI .NET SDK's Responses client against the gateway in front of the fake Anthropic and the fake OpenAI
/// chat upstream: answers, stream event order, tool round trips, reasoning, structured output, instructions and images.
/// </summary>
public sealed class ResponsesApiTests(CodingAgentFixture fixture) : ResponsesApiTestBase(fixture), IClassFixture<CodingAgentFixture>
{
    private const string Answer = "The answer is forty-two, friend.";

    public static TheoryData<string, string> Groups => new()
    {
        { AnthropicGroup, "/v1/messages" },
        { OpenAiGroup, "/v1/chat/completions" },
    };

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task SdkReadsTheAnswerUsageAndTheGatewaysResponseId(string group, string upstreamPath)
    {
        Fake.Default = new FakeResponse { Text = Answer, PromptTokens = 11, CompletionTokens = 7 };

        ResponseResult response = await Sdk().CreateResponseAsync(Options(group, ResponseItem.CreateUserMessageItem("Say hello")), Timeout);

        Assert.StartsWith("resp_", response.Id);
        Assert.Equal(ResponseStatus.Completed, response.Status);
        Assert.Equal(Answer, response.GetOutputText());
        var message = Assert.IsAssignableFrom<MessageResponseItem>(Assert.Single(response.OutputItems));
        Assert.StartsWith("msg_", message.Id);
        Assert.Equal((11, 7, 18), (response.Usage.InputTokenCount, response.Usage.OutputTokenCount, response.Usage.TotalTokenCount));
        Assert.Equal(upstreamPath, Assert.Single(Fake.Requests).Path);
    }

    [Theory]
    [MemberData(nameof(Groups))]
    public async Task StreamEventsComeInTheResponsesGrammarsOrderWithSequenceNumbers(string group, string upstreamPath)
    {
        Fake.Default = new FakeResponse { Text = Answer, PromptTokens = 11, CompletionTokens = 7, ChunkCount = 3 };

        var options = Options(group, ResponseItem.CreateUserMessageItem("Say hello"));
        options.StreamingEnabled = true;
        var updates = new List<StreamingResponseUpdate>();
        await foreach (var update in await Sdk().CreateResponseStreamingAsync(options, Timeout))
            updates.Add(update);

        var kinds = updates.Select(u => u.GetType().Name.Replace("StreamingResponse", "").Replace("Update", "")).ToList();
        var deltas = kinds.Count(k => k == "OutputTextDelta");
        Assert.True(deltas >= 2, string.Join(",", kinds));
        Assert.Equal(
            ["Created", "InProgress", "OutputItemAdded", "ContentPartAdded", .. Enumerable.Repeat("OutputTextDelta", deltas),
                "OutputTextDone", "ContentPartDone", "OutputItemDone", "Completed"],
            kinds);
        Assert.Equal(Enumerable.Range(0, updates.Count), updates.Select(u => u.SequenceNumber));
        Assert.Equal(Answer, string.Concat(updates.OfType<StreamingResponseOutputTextDeltaUpdate>().Select(d => d.Delta)));
        var completed = Assert.IsType<StreamingResponseCompletedUpdate>(updates[^1]).Response;
        Assert.Equal((11, 7), (completed.Usage.InputTokenCount, completed.Usage.OutputTokenCount));
        Assert.Equal(Answer, completed.GetOutputText());
        Assert.Equal(upstreamPath, Assert.Single(Fake.Requests).Path);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ToolRoundTripWithPreviousResponseIdSendsTheWholeConversationUpstream(bool stream)
    {
        Fake.Enqueue(new FakeResponse { Text = "", ToolCalls = [("toolu_weather_1", "get_weather", """{"city":"Paris"}""")] },
            new FakeResponse { Text = "It is sunny in Paris." });
        var sdk = Sdk();
        var first = Options(AnthropicGroup, ResponseItem.CreateUserMessageItem("Weather in Paris?"));
        first.Tools.Add(ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}"""), null, "Weather"));
        first.StreamingEnabled = stream ? true : null;

        var firstResult = await CreateAsync(sdk, first);
        var call = Assert.IsType<FunctionCallResponseItem>(Assert.Single(firstResult.OutputItems));
        Assert.Equal(("toolu_weather_1", "get_weather", """{"city":"Paris"}"""), (call.CallId, call.FunctionName, call.FunctionArguments.ToString()));
        Assert.StartsWith("fc_", call.Id);
        var firstId = firstResult.Id;

        var second = Options(AnthropicGroup, ResponseItem.CreateFunctionCallOutputItem(call.CallId, "sunny"));
        second.PreviousResponseId = firstId;
        ResponseResult answer = await sdk.CreateResponseAsync(second, Timeout);

        Assert.Equal("It is sunny in Paris.", answer.GetOutputText());
        var messages = Upstream()["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => (string?)m!["role"]));
        Assert.Equal("Weather in Paris?", Text(messages[0]!));
        Assert.Equal("toolu_weather_1", (string?)messages[1]!["content"]![0]!["id"]);
        Assert.Equal(("tool_result", "toolu_weather_1"), ((string?)messages[2]!["content"]![0]!["type"], (string?)messages[2]!["content"]![0]!["tool_use_id"]));
    }

    [Fact]
    public async Task StatelessToolRoundTripResendsTheWholeInputToTheChatUpstream()
    {
        Fake.Default = new FakeResponse { Text = "Sunny." };
        var options = Options(OpenAiGroup,
            ResponseItem.CreateUserMessageItem("Weather in Paris?"),
            ResponseItem.CreateFunctionCallItem("call_1", "get_weather", BinaryData.FromString("""{"city":"Paris"}""")),
            ResponseItem.CreateFunctionCallOutputItem("call_1", "sunny"));
        options.StoredOutputEnabled = false;

        ResponseResult response = await Sdk().CreateResponseAsync(options, Timeout);

        Assert.Equal("Sunny.", response.GetOutputText());
        var messages = Upstream()["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "tool"], messages.Select(m => (string?)m!["role"]));
        Assert.Equal(("call_1", "get_weather"), ((string?)messages[1]!["tool_calls"]![0]!["id"], (string?)messages[1]!["tool_calls"]![0]!["function"]!["name"]));
        Assert.Equal(("call_1", "sunny"), ((string?)messages[2]!["tool_call_id"], (string?)messages[2]!["content"]));
        var notStored = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => Sdk().GetResponseAsync(response.Id, Timeout));
        Assert.Equal(404, notStored.Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnthropicThinkingComesBackAsAReasoningItemWhoseSignatureReturnsUpstreamNextTurn(bool stream)
    {
        Fake.Enqueue(new FakeResponse { Thinking = "Let me think about Paris.", ThinkingSignature = "sig-abc123", Text = "Sunny." },
            new FakeResponse { Text = "Still sunny." });
        var first = Options(AnthropicGroup, ResponseItem.CreateUserMessageItem("Weather in Paris?"));
        first.ReasoningOptions = new ResponseReasoningOptions { ReasoningEffortLevel = ResponseReasoningEffortLevel.Low };
        first.StoredOutputEnabled = false;
        first.StreamingEnabled = stream ? true : null;

        var output = (await CreateAsync(Sdk(), first)).OutputItems;

        var reasoning = Assert.IsType<ReasoningResponseItem>(output[0]);
        Assert.Equal(("sig-abc123", "Let me think about Paris."), (reasoning.EncryptedContent, reasoning.GetSummaryText()));
        Assert.StartsWith("rs_", reasoning.Id);
        Assert.Equal("enabled", (string?)Upstream()["thinking"]!["type"]);

        var next = Options(AnthropicGroup, [ResponseItem.CreateUserMessageItem("Weather in Paris?"), .. output, ResponseItem.CreateUserMessageItem("And now?")]);
        next.ReasoningOptions = first.ReasoningOptions;
        next.StoredOutputEnabled = false;
        await Sdk().CreateResponseAsync(next, Timeout);

        var assistant = Upstream()["messages"]![1]!["content"]!.AsArray();
        Assert.Equal(("thinking", "Let me think about Paris.", "sig-abc123"),
            ((string?)assistant[0]!["type"], (string?)assistant[0]!["thinking"], (string?)assistant[0]!["signature"]));
        Assert.Equal(("text", "Sunny."), ((string?)assistant[1]!["type"], (string?)assistant[1]!["text"]));
    }

    [Fact]
    public async Task JsonSchemaOutputInstructionsAndImagesReachTheUpstreamInItsOwnTerms()
    {
        Fake.Default = new FakeResponse { Text = """{"city":"Paris"}""" };
        var options = Options(AnthropicGroup, ResponseItem.CreateUserMessageItem(
        [
            ResponseContentPart.CreateInputTextPart("Which city is this?"),
            ResponseContentPart.CreateInputImagePart(BinaryData.FromBytes(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, "image/png"), null),
        ]));
        options.Instructions = "Answer in JSON.";
        options.TextOptions = new ResponseTextOptions
        {
            TextFormat = ResponseTextFormat.CreateJsonSchemaFormat("city", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}"""), null, true),
        };

        ResponseResult response = await Sdk().CreateResponseAsync(options, Timeout);

        Assert.Equal("Paris", JsonNode.Parse(response.GetOutputText())!["city"]!.GetValue<string>());
        var upstream = Upstream();
        Assert.Contains("Answer in JSON.", upstream["system"]!.ToJsonString());
        Assert.Equal("json_schema", (string?)upstream["output_config"]!["format"]!["type"]);
        var image = upstream["messages"]![0]!["content"]!.AsArray().Single(b => (string?)b!["type"] == "image")!;
        Assert.Equal(("base64", "iVBORw=="), ((string?)image["source"]!["type"], (string?)image["source"]!["data"]));
    }

    private static string? Text(JsonNode message) => message["content"] is JsonArray blocks ? (string?)blocks[0]!["text"] : (string?)message["content"];

    /// <summary>Streamed or not, the response the SDK ends up with.</summary>
    private async Task<ResponseResult> CreateAsync(ResponsesClient sdk, CreateResponseOptions options)
    {
        if (options.StreamingEnabled != true)
            return await sdk.CreateResponseAsync(options, Timeout);
        ResponseResult? result = null;
        await foreach (var update in await sdk.CreateResponseStreamingAsync(options, Timeout))
            result = (update as StreamingResponseCompletedUpdate)?.Response ?? result;
        return result ?? throw new Xunit.Sdk.XunitException("the stream ended without response.completed");
    }
}
