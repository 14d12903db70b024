
namespace LlmGateway.Tests.Clients;

/// <summary>
/// LangChain.js (<c>@langchain/openai</c>, <c>@langchain/anthropic</c> from npm, installed by <c>./test.sh</c>) set up as
/// docs/coding-agents.md says — <c>ChatOpenAI</c> with <c>configuration.baseURL</c> (chat completions, and the Responses API
/// with <c>useResponsesApi</c>), <c>ChatAnthropic</c> with <c>anthropicApiUrl</c>, a virtual key as the API key — each on a
/// deployment that speaks its wire format (passed through) and on ones that do not (translated) — Anthropic, OpenAI, Azure OpenAI, Ollama: a tool bound with
/// <c>bindTools</c>, called, its result sent back as a <c>ToolMessage</c>, then a stream, then <c>withStructuredOutput</c> of
/// a zod schema, then an image in a <c>HumanMessage</c>; every call billed and recorded.
/// </summary>
public sealed class LangChainTests(CodingAgentFixture fixture) : IClassFixture<CodingAgentFixture>, IDisposable
{
    public const string Version = "1.6.0";

    /// <summary>What a developer would write: a tool round trip by hand, a stream, an object, an image; prints the answers and the tool's calls as JSON.</summary>
    private const string Script = """
        import { ChatOpenAI } from '@langchain/openai';
        import { ChatAnthropic } from '@langchain/anthropic';
        import { tool } from '@langchain/core/tools';
        import { HumanMessage } from '@langchain/core/messages';
        import { z } from 'zod';

        const { GATEWAY_URL, GATEWAY_ROOT, GATEWAY_KEY, MODEL, API } = process.env;
        const model = API === 'messages'
          ? new ChatAnthropic({ model: MODEL, apiKey: GATEWAY_KEY, anthropicApiUrl: GATEWAY_ROOT, maxRetries: 0 })
          : new ChatOpenAI({ model: MODEL, apiKey: GATEWAY_KEY, configuration: { baseURL: GATEWAY_URL }, maxRetries: 0, useResponsesApi: API === 'responses' });
        const calls = [];
        const getWeather = tool(async ({ city }) => { calls.push(city); return `It is sunny in ${city}.`; },
          { name: 'get_weather', description: 'The weather in a city.', schema: z.object({ city: z.string() }) });
        const text = content => typeof content === 'string' ? content : content.map(part => part.text ?? '').join('');

        const withTools = model.bindTools([getWeather]);
        const messages = [new HumanMessage('What is the weather in Paris?')];
        const first = await withTools.invoke(messages);
        messages.push(first);
        for (const call of first.tool_calls ?? []) messages.push(await getWeather.invoke(call));
        const second = await withTools.invoke(messages);
        let streamed = '';
        for await (const chunk of await model.stream('Say hello.')) streamed += text(chunk.content);
        const weather = await model.withStructuredOutput(z.object({ city: z.string(), sunny: z.boolean() }), { name: 'weather' })
          .invoke('The weather in Paris, as an object.');
        const seen = await model.invoke([new HumanMessage({ content: [
          { type: 'text', text: 'What is in this image?' },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${process.env.PNG}` } },
        ] })]);
        console.log(JSON.stringify({ text: text(second.content), calls, streamed, weather, seen: text(seen.content) }));
        """;

    /// <summary>Two texts embedded in one call (<c>OpenAIEmbeddings.embedDocuments</c>, the openai SDK's base64 encoding).</summary>
    private const string EmbedScript = """
        import { OpenAIEmbeddings } from '@langchain/openai';

        const { GATEWAY_URL, GATEWAY_KEY, MODEL } = process.env;
        const embeddings = new OpenAIEmbeddings({ model: MODEL, apiKey: GATEWAY_KEY, configuration: { baseURL: GATEWAY_URL }, maxRetries: 0 });
        const vectors = await embeddings.embedDocuments(['sunny day', 'rainy day']);
        console.log(JSON.stringify({ count: vectors.length, dimensions: vectors[0].length }));
        """;

    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    [Theory]
    [MemberData(nameof(LibraryConversation.Routes), MemberType = typeof(LibraryConversation))]
    public async Task AToolRoundTripAStreamAnObjectAndAnImageWorkThroughTheGateway(string api, string group, string upstreamPath)
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        // ChatAnthropic asks for the object as a forced tool call, ChatOpenAI as a JSON schema answer.
        LibraryConversation.Script(fixture.Fake, objectAsToolCall: api == "messages" ? "weather" : null);
        var key = await fixture.NewKeyAsync(timeout.Token);

        NodeScript.RequireInstalled("@langchain/openai", Version);
        var output = await NodeScript.RunAsync(Script, LibraryConversation.Environment(fixture, key, group, api), timeout.Token);

        await LibraryConversation.AssertAsync(output, fixture, key, upstreamPath, timeout.Token);
    }

    [Theory]
    [MemberData(nameof(LibraryConversation.EmbeddingRoutes), MemberType = typeof(LibraryConversation))]
    public async Task EmbeddingsWorkThroughTheGateway(string group, string upstreamPath)
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        await LibraryConversation.EmbedAsync(fixture, ("@langchain/openai", Version), EmbedScript, group, upstreamPath, timeout.Token);
    }

    public void Dispose() => timeout.Dispose();
}
