using LlmGateway.Tests.Fakes;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Clients;

/// <summary>
/// Codex CLI itself (<see cref="CodexCli"/>, <c>wire_api = "responses"</c>) through the gateway with a virtual key, on an
/// OpenAI deployment (the Responses pass-through) and on an Anthropic one (translated): the model calls a tool, Codex
/// answers the call, and the model's final answer is what Codex prints.
/// </summary>
public sealed class CodexTests(CodingAgentFixture fixture) : IClassFixture<CodingAgentFixture>, IDisposable
{
    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    private FakeProviderServer Fake => fixture.Fake;

    [Theory]
    [InlineData(OpenAiResponsesGroup, "/v1/responses")]
    [InlineData(AnthropicGroup, "/v1/messages")]
    [InlineData(AzureGroup, "/openai/v1/responses")]
    [InlineData(OllamaGroup, "/v1/chat/completions")]
    public async Task CodexAnswersThroughTheGatewayAfterAToolCallRoundTrip(string group, string upstreamPath)
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(150));
        Fake.Reset();
        // A tool Codex does not have: it must still answer the call (with an error output) before the model can finish.
        Fake.Enqueue(new FakeResponse { Text = "", ToolCalls = [("call_codex_1", "lookup_weather", """{"city":"Paris"}""")] });
        Fake.Default = new FakeResponse { Text = "Paris is sunny today." };
        var key = await fixture.NewKeyAsync(timeout.Token);

        // Codex sends OpenAI's hosted web_search on every call; only OpenAI runs it, so elsewhere it is switched off in Codex's
        // config (the other way is drop_params: true on the gateway, which this shared fixture does not set). The Azure
        // deployment would run it, but does not allow it (model_info.allowed_premium): switched off there too.
        var settings = group == OpenAiResponsesGroup ? "" : "web_search = \"disabled\"";
        var result = await CodexCli.ExecAsync(fixture.Api.BaseAddress, key, group, "What is the weather in Paris?", timeout.Token, settings);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Paris is sunny today.", result.Stdout);
        var calls = Fake.Requests.Where(r => r.Path == upstreamPath).ToList();
        Assert.True(calls.Count >= 2, result.ToString());
        Assert.Contains("call_codex_1", calls[1].Body); // the tool call and Codex's answer to it went back upstream
    }

    public void Dispose() => timeout.Dispose();
}
