using System.Text.Json;
using LlmGateway.Tests.Fakes;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Clients;

/// <summary>
/// The OpenAI Agents SDK (<c>@openai/agents</c> from npm, installed by <c>./test.sh</c>) as docs/coding-agents.md sets it up
/// for the gateway — <c>setDefaultOpenAIClient(new OpenAI({ baseURL, apiKey }))</c>, the Responses API — running an agent with
/// one function tool, on an OpenAI and an Azure deployment (pass-through), an Anthropic and an Ollama one (translated).
/// </summary>
public sealed class AgentsSdkTests(CodingAgentFixture fixture) : IClassFixture<CodingAgentFixture>, IDisposable
{
    public const string Version = "0.20.0";

    /// <summary>The script a developer would write: one agent, one tool; prints the final output and the tool's calls as JSON.</summary>
    private const string Script = """
        import OpenAI from 'openai';
        import { Agent, run, tool, setDefaultOpenAIClient, setTracingDisabled } from '@openai/agents';

        setTracingDisabled(true);
        setDefaultOpenAIClient(new OpenAI({ baseURL: process.env.GATEWAY_URL, apiKey: process.env.GATEWAY_KEY, maxRetries: 0 }));
        const calls = [];
        const getWeather = tool({
          name: 'get_weather',
          description: 'The weather in a city.',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
          strict: true,
          execute: async ({ city }) => { calls.push(city); return `It is sunny in ${city}.`; },
        });
        const agent = new Agent({ name: 'Weather', instructions: 'Use the tool.', model: process.env.MODEL, tools: [getWeather] });
        const result = await run(agent, 'What is the weather in Paris?');
        console.log(JSON.stringify({ finalOutput: result.finalOutput, calls }));
        """;

    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    private FakeProviderServer Fake => fixture.Fake;

    [Theory]
    [InlineData(OpenAiResponsesGroup, "/v1/responses")]
    [InlineData(AnthropicGroup, "/v1/messages")]
    [InlineData(AzureGroup, "/openai/v1/responses")]
    [InlineData(OllamaGroup, "/v1/chat/completions")]
    public async Task AnAgentCallsItsFunctionToolAndAnswersThroughTheGateway(string group, string upstreamPath)
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        Fake.Reset();
        Fake.Enqueue(new FakeResponse { Text = "", ToolCalls = [("call_agent_1", "get_weather", """{"city":"Paris"}""")] });
        Fake.Default = new FakeResponse { Text = "Paris: sunny." };
        var key = await fixture.NewKeyAsync(timeout.Token);

        var output = await RunAsync(group, key);

        var result = JsonDocument.Parse(output).RootElement;
        Assert.Equal("Paris: sunny.", result.GetProperty("finalOutput").GetString());
        Assert.Equal(["Paris"], result.GetProperty("calls").EnumerateArray().Select(c => c.GetString()));
        var upstream = Fake.Requests.Where(r => r.Path == upstreamPath).ToList();
        Assert.Equal(2, upstream.Count);
        Assert.Contains("It is sunny in Paris.", upstream[1].Body); // the tool's output went back to the model
    }

    private Task<string> RunAsync(string model, string key)
    {
        NodeScript.RequireInstalled("@openai/agents", Version);
        return NodeScript.RunAsync(Script, new Dictionary<string, string>
        {
            ["GATEWAY_URL"] = new Uri(fixture.Api.BaseAddress, "v1").ToString(), ["GATEWAY_KEY"] = key, ["MODEL"] = model,
        }, timeout.Token);
    }

    public void Dispose() => timeout.Dispose();
}
