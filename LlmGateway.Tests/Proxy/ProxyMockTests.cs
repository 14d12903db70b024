using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Infrastructure;
using OpenAI.Chat;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>The built-in <c>mock/</c> provider: deterministic answers and usage, <c>mock_response</c>, failure injection, no network call.</summary>
public sealed class ProxyMockTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    // "Say hello" is 9 characters: (9 + 3) / 4 = 3 prompt tokens; the answer's words are its completion tokens.
    private const string DefaultAnswer = "This is a mock response from demo-model.";

    [Fact]
    public async Task TheMockAnswersChatWithDeterministicTextAndUsageWithoutANetworkCall()
    {
        ChatCompletion first = await OpenAiChat(MockGroup).CompleteChatAsync([new UserChatMessage("Say hello")], cancellationToken: Timeout);
        ChatCompletion second = await OpenAiChat(MockGroup).CompleteChatAsync([new UserChatMessage("Say hello")], cancellationToken: Timeout);

        Assert.Equal(DefaultAnswer, first.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, first.FinishReason);
        Assert.Equal((3, 7, 10), (first.Usage.InputTokenCount, first.Usage.OutputTokenCount, first.Usage.TotalTokenCount));
        Assert.Equal((first.Id, first.Content[0].Text), (second.Id, second.Content[0].Text));
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task TheMockStreamsTheConfiguredMockResponseWithUsage()
    {
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        var chunks = 0;
        await foreach (var update in OpenAiChat(MockScriptedGroup).CompleteChatStreamingAsync([new UserChatMessage("Say hello")], cancellationToken: Timeout))
        {
            foreach (var part in update.ContentUpdate.Where(part => part.Text.Length > 0))
            {
                text.Append(part.Text);
                chunks++;
            }
            usage ??= update.Usage;
        }

        Assert.Equal(MockScriptedAnswer, text.ToString());
        Assert.Equal(MockScriptedAnswer.Split(' ').Length, chunks);
        Assert.Equal((3, 6), (usage?.InputTokenCount, usage?.OutputTokenCount));
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task TheMockAnswersTheMessagesApiAndReportsItselfAsTheProvider()
    {
        using var response = await PostAsync("/v1/messages", Messages(MockScriptedGroup));
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("mock", response.Headers.GetValues("x-gateway-provider").Single());
        Assert.Equal(MockScriptedAnswer, (string?)body["content"]![0]!["text"]);
        Assert.Equal("end_turn", (string?)body["stop_reason"]);
        Assert.Equal((3, 6), ((int)body["usage"]!["input_tokens"]!, (int)body["usage"]!["output_tokens"]!));
    }

    [Fact]
    public async Task TheMockAnswersEmbeddingsDeterministically()
    {
        const string request = """{"model":"mock-demo","input":["hello world","hello world","other"]}""";

        using var first = await PostAsync("/v1/embeddings", request);
        var body = await JsonAsync(first);
        using var second = await PostAsync("/v1/embeddings", request);
        var again = await JsonAsync(second);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var vectors = body["data"]!.AsArray().Select(item => item!["embedding"]!.ToJsonString()).ToList();
        Assert.Equal(3, vectors.Count);
        Assert.Equal(8, body["data"]![0]!["embedding"]!.AsArray().Count);
        Assert.Equal(vectors[0], vectors[1]);
        Assert.NotEqual(vectors[0], vectors[2]);
        Assert.Equal(body["data"]!.ToJsonString(), again["data"]!.ToJsonString());
        Assert.Equal(3 + 3 + 2, (int)body["usage"]!["prompt_tokens"]!); // (11+3)/4 twice, (5+3)/4 once
        Assert.Equal(0, Fake.RequestCount);
    }

    [Theory]
    [InlineData("/v1/chat/completions", false)]
    [InlineData("/v1/chat/completions", true)]
    [InlineData("/v1/messages", true)]
    public async Task AMockWithFailureRateOneAnswersA5xxNamingTheGroup(string path, bool stream)
    {
        using var response = await PostAsync(path, path == "/v1/messages" ? Messages(MockFailingGroup, stream) : Chat(MockFailingGroup, stream));
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var message = path == "/v1/messages"
            ? (string?)AssertAnthropicError(body, "overloaded_error")["message"]
            : (string?)AssertOpenAiError(body, code: "upstream_unavailable")["message"];
        Assert.Contains($"'{MockFailingGroup}'", message);
        Assert.Contains("Injected failure", message);
    }

    [Fact]
    public async Task AMockResponseInTheRequestBodyOverridesTheDefaultText()
    {
        var request = JsonNode.Parse(Chat(MockGroup))!.AsObject();
        request["mock_response"] = "per request answer";

        using var response = await PostAsync("/v1/chat/completions", request.ToJsonString());
        var body = await JsonAsync(response);

        Assert.Equal("per request answer", (string?)body["choices"]![0]!["message"]!["content"]);
    }
}
