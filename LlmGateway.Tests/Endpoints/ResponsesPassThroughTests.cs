#pragma warning disable OPENAI001 // the SDK marks its Responses client as evaluation-only
using System.Net;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Clients;
using LlmGateway.Tests.Fakes;
using OpenAI.Responses;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Endpoints;

/// <summary>
/// Responses clients of an OpenAI deployment that speaks the Responses API: the request and the answer pass through
/// (the upstream's own ids, items and events), usage is read from <c>response.completed</c> for the ledger, and
/// in-band errors end the stream in the format's own way.
/// </summary>
public sealed class ResponsesPassThroughTests(CodingAgentFixture fixture) : ResponsesApiTestBase(fixture), IClassFixture<CodingAgentFixture>
{
    [Fact]
    public async Task AJsonAnswerIsTheUpstreamsOwnResponseAndTheLedgerHasItsUsage()
    {
        Fake.Default = new FakeResponse { Text = "Hi there.", PromptTokens = 20, CompletionTokens = 5, CachedTokens = 4 };

        var (response, body) = await PostAsync($$"""{"model":"{{OpenAiResponsesGroup}}","input":"Say hi","store":false}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("resp_fake", (string?)body["id"]);
        Assert.Equal("Hi there.", (string?)body["output"]![0]!["content"]![0]!["text"]);
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal(("/v1/responses", "gpt-5", "Bearer sk-upstream-openai-responses"), (upstream.Path, upstream.Model, upstream.Header("authorization")));
        Assert.Equal("Say hi", (string?)upstream.Json!["input"]);
        Assert.Equal("openai", response.Headers.GetValues("x-gateway-provider").Single());
        var row = await Fixture.LedgerRowAsync(response.Headers.GetValues("x-request-id").Single(), Timeout);
        Assert.Equal(("responses", 20, 5), (row.GetProperty("call_type").GetString(), row.GetProperty("prompt_tokens").GetInt64(), row.GetProperty("completion_tokens").GetInt64()));
        // The 4 cached tokens are priced as cache reads (a tenth of the input price), not as plain input.
        Assert.Equal(16 * InputPrice + 4 * InputPrice / 10 + 5 * OutputPrice, row.GetProperty("spend").GetDecimal());
    }

    [Fact]
    public async Task AStreamPassesThroughEventForEventAndEndsWithTheUpstreamsCompletedResponse()
    {
        Fake.Default = new FakeResponse { Text = "One two three.", PromptTokens = 9, CompletionTokens = 3, ChunkCount = 3 };
        var options = Options(OpenAiResponsesGroup, ResponseItem.CreateUserMessageItem("Count"));
        options.StoredOutputEnabled = false;
        options.StreamingEnabled = true;

        var updates = new List<StreamingResponseUpdate>();
        await foreach (var update in await Sdk().CreateResponseStreamingAsync(options, Timeout))
            updates.Add(update);

        Assert.Equal(Enumerable.Range(0, updates.Count), updates.Select(u => u.SequenceNumber));
        Assert.Equal(3, updates.OfType<StreamingResponseOutputTextDeltaUpdate>().Count());
        var completed = Assert.IsType<StreamingResponseCompletedUpdate>(updates[^1]).Response;
        Assert.StartsWith("resp_fake", completed.Id);
        Assert.Equal(("One two three.", 9, 3), (completed.GetOutputText(), completed.Usage.InputTokenCount, completed.Usage.OutputTokenCount));
        Assert.True((bool?)Upstream()["stream"]);
        Assert.Equal(1, Fake.StreamsCompleted);
    }

    [Fact]
    public async Task StatelessReasoningAndToolCallItemsRoundTripUnchanged()
    {
        Fake.Enqueue(new FakeResponse { Text = "", ToolCalls = [("call_w1", "get_weather", """{"city":"Oslo"}""")] }, new FakeResponse { Text = "Cold." });
        var first = Options(OpenAiResponsesGroup, ResponseItem.CreateUserMessageItem("Weather in Oslo?"));
        first.StoredOutputEnabled = false;
        first.ReasoningOptions = new ResponseReasoningOptions { ReasoningEffortLevel = ResponseReasoningEffortLevel.Low };
        first.IncludedProperties.Add(IncludedResponseProperty.ReasoningEncryptedContent);
        first.Tools.Add(ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}"""), null, "Weather"));

        ResponseResult answer = await Sdk().CreateResponseAsync(first, Timeout);

        var reasoning = Assert.IsType<ReasoningResponseItem>(answer.OutputItems[0]);
        Assert.StartsWith("gAAAAfake", reasoning.EncryptedContent);
        var call = Assert.IsType<FunctionCallResponseItem>(answer.OutputItems[1]);
        Assert.Equal(("call_w1", "get_weather"), (call.CallId, call.FunctionName));
        var next = Options(OpenAiResponsesGroup, [ResponseItem.CreateUserMessageItem("Weather in Oslo?"), .. answer.OutputItems, ResponseItem.CreateFunctionCallOutputItem("call_w1", "-3 C")]);
        next.StoredOutputEnabled = false;
        next.Tools.Add(first.Tools[0]);

        ResponseResult second = await Sdk().CreateResponseAsync(next, Timeout);

        Assert.Equal("Cold.", second.GetOutputText());
        var input = Upstream()["input"]!.AsArray();
        Assert.Equal(["message", "reasoning", "function_call", "function_call_output"], input.Select(i => (string?)i!["type"] ?? "message"));
        Assert.Equal(reasoning.EncryptedContent, (string?)input[1]!["encrypted_content"]);
        Assert.Equal(("call_w1", "-3 C"), ((string?)input[3]!["call_id"], (string?)input[3]!["output"]));
    }

    [Fact]
    public async Task AnErrorAfterTheFirstByteEndsTheStreamWithTheUpstreamsErrorEvent()
    {
        Fake.Default = new FakeResponse { Text = "one two three four", InBandErrorAfterChunks = 2, ErrorMessage = "Model crashed." };

        using var http = Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses")
        {
            Content = new StringContent($$"""{"model":"{{OpenAiResponsesGroup}}","input":"Count","stream":true,"store":false}""", System.Text.Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request, Timeout);
        var raw = await response.Content.ReadAsByteArrayAsync(Timeout);
        var events = Translation.SseText.Parse(raw);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, events.Count(e => e.Event == "response.output_text.delta"));
        Assert.Equal("error", events[^1].Event);
        Assert.Equal("Model crashed.", (string?)JsonNode.Parse(events[^1].Data)!["message"]);
    }

    [Fact]
    public async Task AnUpstreamFailureBeforeTheStreamStartsIsTheGatewaysErrorInTheOpenAiEnvelope()
    {
        Fake.Default = FakeResponse.Error(503);

        var (response, body) = await PostAsync($$"""{"model":"{{OpenAiResponsesGroup}}","input":"Count","stream":true,"store":false}""");

        Assert.True((int)response.StatusCode >= 500, response.StatusCode.ToString());
        Assert.Contains(OpenAiResponsesGroup, (string?)body["error"]!["message"]);
        Assert.All(Fake.Requests, r => Assert.Equal("/v1/responses", r.Path));
    }
}
