using System.Buffers;
using System.Text;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Providers.OpenAiResponses;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;
using static LlmGateway.Tests.Providers.OpenAiResponsesStreamDecoderTests;

namespace LlmGateway.Tests.Providers;

/// <summary>A Responses upstream to a Responses client: bytes unchanged, usage from the terminal event, in-band errors; and when it is chosen.</summary>
public class OpenAiResponsesPassThroughTests
{
    private static (List<StreamStep> Steps, string Written) Relay(ResponseTranslation translation, bool committed, params (string Name, string Data)[] events)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new SseWriter(output);
        var steps = new List<StreamStep>();
        foreach (var (name, data) in events)
        {
            var raw = Encoding.UTF8.GetBytes(name.Length > 0 ? $"event: {name}\ndata: {data}\n\n" : $"data: {data}\n\n");
            steps.Add(translation.OnEvent(new SseEvent(name, Encoding.UTF8.GetBytes(data), new ReadOnlySequence<byte>(raw)), writer, committed));
        }

        return (steps, Encoding.UTF8.GetString(output.WrittenSpan));
    }

    private static string Raw(IEnumerable<(string Name, string Data)> events) =>
        string.Concat(events.Select(e => $"event: {e.Name}\ndata: {e.Data}\n\n"));

    [Fact]
    public void EveryEventPassesThroughByteForByteAndTheCompletedEventEndsItWithItsUsage()
    {
        var translation = new OpenAiResponsesPassThrough();

        var (steps, written) = Relay(translation, committed: true, TextStream);

        Assert.Equal(Raw(TextStream), written);
        Assert.True(steps[^1].Terminal);
        Assert.All(steps[..^1], step => Assert.False(step.Terminal));
        Assert.Equal(new TokenUsage(120, 40, CachedTokens: 100, ReasoningTokens: 25), translation.Usage);
    }

    [Fact]
    public void AnIncompleteResponseEndsTheStreamWithItsUsage()
    {
        var translation = new OpenAiResponsesPassThrough();

        var (steps, _) = Relay(translation, true, ("response.created", Created), ("response.incomplete", Completed("incomplete")));

        Assert.True(steps[^1].Terminal);
        Assert.Null(steps[^1].Error);
        Assert.Equal(120, translation.Usage?.PromptTokens);
    }

    [Fact]
    public void AnErrorBeforeTheCommitIsReportedAndNotWrittenSoTheFailoverMayMoveOn()
    {
        var (steps, written) = Relay(new OpenAiResponsesPassThrough(), committed: false,
            ("error", """{"type":"error","code":"server_error","message":"Overloaded.","param":null}"""));

        Assert.Equal("", written);
        Assert.Equal(new StreamStep(true, new ResponseFailed("server_error", "Overloaded.")), steps[0]);
    }

    [Fact]
    public void AFailedResponseAfterTheCommitGoesToTheClientAsItCame()
    {
        const string failed = """{"type":"response.failed","response":{"id":"resp_up1","status":"failed","error":{"code":"server_error","message":"Boom."}}}""";

        var (steps, written) = Relay(new OpenAiResponsesPassThrough(), committed: true, ("response.created", Created), ("response.failed", failed));

        Assert.EndsWith($"event: response.failed\ndata: {failed}\n\n", written);
        Assert.Equal(new ResponseFailed("server_error", "Boom."), steps[^1].Error);
    }

    [Fact]
    public void AWholeBodyPassesThroughWithItsUsage()
    {
        var body = Encoding.UTF8.GetBytes(OpenAiResponsesBodyDecoderTests.Body);
        var translation = new OpenAiResponsesPassThrough();

        var relayed = translation.OnBody(body);

        Assert.Equal(body, relayed!.Value.ToArray());
        Assert.Equal(new TokenUsage(50, 30, CachedTokens: 10, ReasoningTokens: 12, WebSearchRequests: 1), translation.Usage); // its web_search_call item is billed
    }

    [Theory]
    [InlineData("{ model: openai/gpt-5 }", WireFormat.OpenAiResponses)]
    [InlineData("{ model: azure/gpt-5, api_base: 'https://x.openai.azure.com' }", WireFormat.OpenAiResponses)]
    [InlineData("{ model: openai/gpt-5, use_responses_api: false }", WireFormat.OpenAi)]
    [InlineData("{ model: hosted_vllm/llama, api_base: 'http://vllm:8000/v1' }", WireFormat.OpenAi)]
    [InlineData("{ model: hosted_vllm/llama, api_base: 'http://vllm:8000/v1', use_responses_api: true }", WireFormat.OpenAiResponses)]
    [InlineData("{ model: ollama/llama3, api_base: 'http://ollama:11434/v1' }", WireFormat.OpenAi)]
    [InlineData("{ model: anthropic/claude-sonnet-4 }", WireFormat.Anthropic)]
    [InlineData("{ model: mock/demo }", WireFormat.OpenAi)]
    public void AResponsesClientGoesToTheResponsesApiOnlyOfADeploymentThatSpeaksIt(string litellmParams, WireFormat expected)
    {
        var deployment = Configuration.ConfigFixtures.Load($"model_list:\n  - model_name: m\n    litellm_params: {litellmParams}\n").Config.Deployments[0];
        var registry = new ProviderRegistry();

        Assert.Equal(expected, registry.For(deployment, new FakeClient(WireFormat.OpenAiResponses)).Format);
        Assert.NotEqual(WireFormat.OpenAiResponses, registry.For(deployment, new FakeClient(WireFormat.OpenAi)).Format);
        Assert.NotEqual(WireFormat.OpenAiResponses, registry.For(deployment, new FakeClient(WireFormat.Anthropic)).Format);
    }

    [Fact]
    public void UseResponsesApiOnAnAnthropicDeploymentIsAConfigError()
    {
        var error = Assert.Throws<GatewayConfigException>(() =>
            Configuration.ConfigFixtures.Load("model_list:\n  - model_name: m\n    litellm_params: { model: anthropic/claude, use_responses_api: true }\n"));

        Assert.Contains("use_responses_api", error.Message);
    }

    [Theory]
    [InlineData("{ model: openai/gpt-5, api_base: 'http://up/v1' }", "http://up/v1/responses")]
    [InlineData("{ model: azure/gpt-5, api_base: 'https://x.openai.azure.com', api_version: '2024-10-21' }", "https://x.openai.azure.com/openai/v1/responses")]
    [InlineData("{ model: azure/gpt-5, api_base: 'https://x.openai.azure.com/openai/v1' }", "https://x.openai.azure.com/openai/v1/responses")]
    public void TheResponsesEndpointIsUnderTheBaseAndAzuresV1Path(string litellmParams, string expected)
    {
        var deployment = Configuration.ConfigFixtures.Load($"model_list:\n  - model_name: m\n    litellm_params: {litellmParams}\n").Config.Deployments[0];

        Assert.Equal(expected, OpenAiResponsesProvider.Address(deployment).ToString());
    }

    private sealed class FakeClient(WireFormat native) : IClientAdapter
    {
        public ClientFormat Format => ClientFormat.OpenAi;
        public WireFormat NativeUpstream => native;
        public string IdPrefix => "x-";
        public TranslationResult<CanonicalRequest> Decode(System.Text.Json.Nodes.JsonObject body) => throw new NotSupportedException();
        public IClientStreamEncoder NewStreamEncoder(ResponseIdentity identity, StreamEncoderOptions options) => throw new NotSupportedException();
        public byte[] EncodeBody(CanonicalResponse response, ResponseIdentity identity) => throw new NotSupportedException();
    }
}
