using System.Text.Json;

namespace LlmGateway.Tests.Clients;

/// <summary>
/// The Vercel AI SDK (<c>ai</c>, <c>@ai-sdk/openai</c>, <c>@ai-sdk/anthropic</c> from npm, installed by <c>./test.sh</c>) set up
/// as docs/coding-agents.md says — <c>createOpenAI</c> / <c>createAnthropic</c> with the gateway's <c>/v1</c> as
/// <c>baseURL</c> and a virtual key — through each of its three model APIs: <c>openai(model)</c> (the Responses API, its
/// default), <c>openai.chat(model)</c> (chat completions) and <c>anthropic(model)</c> (Messages), each on a deployment that
/// speaks its wire format (passed through) and on ones that do not (translated) — Anthropic, OpenAI, Azure OpenAI, Ollama. A <c>generateText</c> loop with one zod
/// tool, a <c>streamText</c>, a structured answer (<c>Output.object</c> with a zod schema) and an image part; every call is
/// answered, billed and recorded.
/// </summary>
public sealed class VercelAiSdkTests(CodingAgentFixture fixture) : IClassFixture<CodingAgentFixture>, IDisposable
{
    public const string Version = "7.0.173";

    /// <summary>What a developer would write: a tool loop, a stream, an object, an image; prints the answers and the tool's calls as JSON.</summary>
    private const string Script = """
        import { generateText, streamText, tool, stepCountIs, Output } from 'ai';
        import { createOpenAI } from '@ai-sdk/openai';
        import { createAnthropic } from '@ai-sdk/anthropic';
        import { z } from 'zod';

        const { GATEWAY_URL, GATEWAY_KEY, MODEL, API } = process.env;
        const openai = createOpenAI({ baseURL: GATEWAY_URL, apiKey: GATEWAY_KEY });
        const anthropic = createAnthropic({ baseURL: GATEWAY_URL, apiKey: GATEWAY_KEY });
        const model = API === 'messages' ? anthropic(MODEL) : API === 'chat' ? openai.chat(MODEL) : openai(MODEL);
        const calls = [];
        const answer = await generateText({
          model,
          maxRetries: 0,
          prompt: 'What is the weather in Paris?',
          tools: {
            get_weather: tool({
              description: 'The weather in a city.',
              inputSchema: z.object({ city: z.string() }),
              execute: async ({ city }) => { calls.push(city); return `It is sunny in ${city}.`; },
            }),
          },
          stopWhen: stepCountIs(3),
        });
        let failure = null;
        const stream = streamText({ model, maxRetries: 0, prompt: 'Say hello.', onError: ({ error }) => { failure = String(error); } });
        let streamed = '';
        for await (const piece of stream.textStream) streamed += piece;
        const usage = await stream.usage;
        const structured = await generateText({
          model,
          maxRetries: 0,
          prompt: 'The weather in Paris, as an object.',
          output: Output.object({ schema: z.object({ city: z.string(), sunny: z.boolean() }) }),
        });
        const seen = await generateText({
          model,
          maxRetries: 0,
          messages: [{ role: 'user', content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image', image: Buffer.from(process.env.PNG, 'base64'), mediaType: 'image/png' },
          ] }],
        });
        console.log(JSON.stringify({ text: answer.text, steps: answer.steps.length, calls, streamed, streamedOutputTokens: usage.outputTokens, failure, weather: structured.output, seen: seen.text }));
        """;

    /// <summary>Two texts embedded in one call (<c>embedMany</c>, <c>openai.embedding</c>).</summary>
    private const string EmbedScript = """
        import { embedMany } from 'ai';
        import { createOpenAI } from '@ai-sdk/openai';

        const { GATEWAY_URL, GATEWAY_KEY, MODEL } = process.env;
        const openai = createOpenAI({ baseURL: GATEWAY_URL, apiKey: GATEWAY_KEY });
        const { embeddings } = await embedMany({ model: openai.embedding(MODEL), values: ['sunny day', 'rainy day'], maxRetries: 0 });
        console.log(JSON.stringify({ count: embeddings.length, dimensions: embeddings[0].length }));
        """;

    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    [Theory]
    [MemberData(nameof(LibraryConversation.Routes), MemberType = typeof(LibraryConversation))]
    public async Task AToolLoopAStreamAnObjectAndAnImageWorkThroughTheGateway(string api, string group, string upstreamPath)
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        LibraryConversation.Script(fixture.Fake);
        var key = await fixture.NewKeyAsync(timeout.Token);

        NodeScript.RequireInstalled("ai", Version);
        var output = await NodeScript.RunAsync(Script, LibraryConversation.Environment(fixture, key, group, api), timeout.Token);

        var result = JsonDocument.Parse(output).RootElement;
        Assert.Equal(JsonValueKind.Null, result.GetProperty("failure").ValueKind);
        Assert.Equal(2, result.GetProperty("steps").GetInt32());
        Assert.True(result.GetProperty("streamedOutputTokens").GetInt32() > 0, output);
        await LibraryConversation.AssertAsync(output, fixture, key, upstreamPath, timeout.Token);
    }

    [Theory]
    [MemberData(nameof(LibraryConversation.EmbeddingRoutes), MemberType = typeof(LibraryConversation))]
    public async Task EmbeddingsWorkThroughTheGateway(string group, string upstreamPath)
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        await LibraryConversation.EmbedAsync(fixture, ("ai", Version), EmbedScript, group, upstreamPath, timeout.Token);
    }

    public void Dispose() => timeout.Dispose();
}
