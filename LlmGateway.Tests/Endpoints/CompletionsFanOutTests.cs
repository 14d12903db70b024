using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Clients;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Translation;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Endpoints;

/// <summary>
/// <c>POST /v1/completions</c> with several prompts or <c>n</c> &gt; 1 on chat-only upstreams, over raw HTTP (OpenAI's .NET SDK has
/// no legacy completions client): one call per prompt (n passed to OpenAI-compatible servers, n calls each on Anthropic), one
/// answer numbered as OpenAI numbers it, one admission, one ledger row with the summed usage and cost.
/// </summary>
public sealed class CompletionsFanOutTests(CodingAgentFixture fixture) : IClassFixture<CodingAgentFixture>, IAsyncLifetime
{
    private static readonly string[] Prompts = ["alpha", "beta", "gamma"];
    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private string key = "";

    private CancellationToken Timeout => timeout.Token;
    private FakeProviderServer Fake => fixture.Fake;

    public async ValueTask InitializeAsync()
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        Fake.Reset();
        Fake.Default = new FakeResponse { EchoPrompt = true, PromptTokens = 5, CompletionTokens = 3 };
        key = await fixture.NewKeyAsync(Timeout);
    }

    public ValueTask DisposeAsync()
    {
        timeout.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task ThreePromptsTimesTwoOnAChatServerAreThreeCallsWithNAndSixChoicesInOpenAisOrder()
    {
        var (response, text) = await PostAsync(key, $$"""{"model":"{{OpenAiGroup}}","prompt":["alpha","beta","gamma"],"n":2,"max_tokens":20}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(text)!;
        AssertChoicesInOrder(body, n: 2);
        // Each call: the prompt once (5), each of its 2 answers 3 tokens.
        Assert.Equal((15, 18), ((int)body["usage"]!["prompt_tokens"]!, (int)body["usage"]!["completion_tokens"]!));
        Assert.Equal(3, Fake.RequestCount);
        Assert.All(Fake.Requests, r => Assert.Equal(("/v1/chat/completions", 2), (r.Path, (int)r.Json!["n"]!)));
        Assert.Equal(Prompts, Fake.Requests.Select(r => (string)r.Json!["messages"]![0]!["content"]!).Order());
        Assert.Equal("3", response.Headers.GetValues("x-gateway-upstream-calls").Single());
        await AssertOneLedgerRowAsync(response, 15, 18);
    }

    [Fact]
    public async Task ThreePromptsTimesTwoOnAnthropicAreSixCallsAndSixChoicesInOpenAisOrder()
    {
        var (response, text) = await PostAsync(key, $$"""{"model":"{{AnthropicGroup}}","prompt":["alpha","beta","gamma"],"n":2,"max_tokens":20}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(text)!;
        AssertChoicesInOrder(body, n: 2);
        // Six calls, each billed its prompt (5) and its answer (3).
        Assert.Equal((30, 18), ((int)body["usage"]!["prompt_tokens"]!, (int)body["usage"]!["completion_tokens"]!));
        Assert.Equal(6, Fake.RequestCount);
        Assert.All(Fake.Requests, r => Assert.Equal("/v1/messages", r.Path));
        await AssertOneLedgerRowAsync(response, 30, 18);
    }

    [Fact]
    public async Task TwoStreamedPromptsMergeIntoOneStreamWithEachChoicesFinishOneUsageChunkAndOneDone()
    {
        var (response, text) = await PostAsync(key,
            $$$"""{"model":"{{{OpenAiGroup}}}","prompt":[[1,2],[3,4]],"max_tokens":20,"stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = SseText.Parse(Encoding.UTF8.GetBytes(text));
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.Single(events, e => e.Data == "[DONE]");
        var chunks = events.SkipLast(1).Select(e => JsonNode.Parse(e.Data)!).ToList();
        Assert.All(chunks, c => Assert.Equal(("text_completion", OpenAiGroup), ((string?)c["object"], (string?)c["model"])));
        Assert.Single(chunks.Select(c => (string?)c["id"]).Distinct());
        var usage = Assert.Single(chunks, c => c["usage"] is JsonObject);
        Assert.Same(chunks[^1], usage);
        Assert.Equal((10, 6), ((int)usage["usage"]!["prompt_tokens"]!, (int)usage["usage"]!["completion_tokens"]!));
        var choices = chunks.SkipLast(1).Select(c => Assert.Single(c["choices"]!.AsArray())!).ToList();
        Assert.Equal([0, 1], choices.Select(c => (int)c["index"]!).Distinct().Order());
        foreach (var index in new[] { 0, 1 })
        {
            var mine = choices.Where(c => (int)c["index"]! == index).ToList();
            Assert.StartsWith("re: ", string.Concat(mine.Select(c => (string?)c["text"])));
            Assert.Equal("stop", (string?)mine[^1]["finish_reason"]);
            Assert.Single(mine, c => c["finish_reason"] is JsonValue);
        }

        Assert.Equal(2, Fake.RequestCount);
    }

    [Fact]
    public async Task MoreAnswersThanTheCapAreA400NamingItWithNoUpstreamCall()
    {
        var (response, text) = await PostAsync(key, $$"""{"model":"{{AnthropicGroup}}","prompt":["a","b","c","d","e"],"n":4}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(text)!["error"]!;
        Assert.Equal(("invalid_request_error", "prompt", "fan_out_limit"), ((string?)error["type"], (string?)error["param"], (string?)error["code"]));
        Assert.Contains("Gateway:Completions:MaxFanOut", (string?)error["message"]);
        Assert.Contains("16", (string?)error["message"]);
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task ABudgetThatDoesNotCoverEveryCallRefusesTheRequestUpFront()
    {
        // Each answer may cost 1,000 output tokens × $0.000015 = $0.015: three prompts are over the $0.04 budget, one is not.
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, budgeted) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = $"fan-out-{Guid.NewGuid():N}", max_budget = 0.04 }, null, Timeout);

        var (three, text) = await PostAsync(budgeted, $$"""{"model":"{{AnthropicGroup}}","prompt":["a","b","c"],"max_tokens":1000}""");
        var requestsAfterRefusal = Fake.RequestCount;
        var (one, _) = await PostAsync(budgeted, $$"""{"model":"{{AnthropicGroup}}","prompt":["a"],"max_tokens":1000}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, three.StatusCode);
        Assert.Equal("budget_exceeded", (string?)JsonNode.Parse(text)!["error"]!["type"]);
        Assert.Contains("team", (string?)JsonNode.Parse(text)!["error"]!["message"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, requestsAfterRefusal);
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
    }

    [Fact]
    public async Task TheRequestCountsOnceAgainstTheKeysRpmHoweverManyCallsItMakes()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, limited) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = $"fan-out-rpm-{Guid.NewGuid():N}" }, new { rpm_limit = 2 }, Timeout);
        var body = $$"""{"model":"{{AnthropicGroup}}","prompt":["a","b","c"],"max_tokens":5}""";

        var (first, _) = await PostAsync(limited, body);
        var (second, _) = await PostAsync(limited, body);
        var (third, _) = await PostAsync(limited, body);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests), (first.StatusCode, second.StatusCode, third.StatusCode));
        Assert.Equal("2", first.Headers.GetValues("x-ratelimit-limit-requests").Single());
        Assert.Equal(6, Fake.RequestCount);
    }

    [Fact]
    public async Task ACallFailingBeforeItsFirstByteIsTheClientsErrorAndTheLedgerRowIsNotSuccess()
    {
        Fake.Enqueue(FakeResponse.Error(400, "The prompt is not allowed (fake)."));

        var (response, text) = await PostAsync(key, $$"""{"model":"{{OpenAiGroup}}","prompt":["alpha","beta","gamma"],"max_tokens":20}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(JsonNode.Parse(text)!["choices"]);
        Assert.NotNull(JsonNode.Parse(text)!["error"]);
        var row = await fixture.LedgerRowAsync(response.Headers.GetValues("x-request-id").Single(), Timeout);
        Assert.NotEqual("success", row.GetProperty("status").GetString());
        Assert.Equal("text_completion", row.GetProperty("call_type").GetString());
    }

    [Fact]
    public async Task ACallBreakingAfterTheFirstByteEndsTheStreamWithTheInBandErrorAndTheLedgerRowIsNotSuccess()
    {
        // One call breaks off after its third chunk, late enough that every call has started and the client has its first byte.
        Fake.Enqueue(new FakeResponse { EchoPrompt = true, ChunkCount = 6, DelayBetweenChunks = TimeSpan.FromMilliseconds(300), DropConnectionAfterChunks = 3 });

        var (response, text) = await PostAsync(key, $$"""{"model":"{{AnthropicGroup}}","prompt":["alpha","beta"],"max_tokens":20,"stream":true}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = SseText.Parse(Encoding.UTF8.GetBytes(text));
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.Single(events, e => e.Data == "[DONE]");
        Assert.NotNull(JsonNode.Parse(events[^2].Data)!["error"]);
        Assert.Contains(events.SkipLast(2), e => JsonNode.Parse(e.Data)!["choices"] is JsonArray { Count: 1 });
        var row = await fixture.LedgerRowAsync(response.Headers.GetValues("x-request-id").Single(), Timeout);
        Assert.StartsWith("stream_", row.GetProperty("status").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClientThatLeavesEndsEveryCallAndTheOneLedgerRowSaysSo()
    {
        // Text long enough for 20 chunks (an echoed "alpha" is five at most): each stream lasts ~5 s, well past the 2 s that
        // HttpClient spends draining a disposed response before it closes the connection. With the echo's few chunks a
        // late first read under load let the drain finish the stream, and the row said "success" (seen once in CI).
        Fake.Default = new FakeResponse { Text = new string('x', 40), ChunkCount = 20, DelayBetweenChunks = TimeSpan.FromMilliseconds(250) };
        using var client = fixture.Api.CreateLoopbackClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent($$"""{"model":"{{AnthropicGroup}}","prompt":["alpha","beta","gamma"],"max_tokens":20,"stream":true}""", Encoding.UTF8, "application/json"),
        };

        string requestId;
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Timeout))
        {
            requestId = response.Headers.GetValues("x-request-id").Single();
            await using var body = await response.Content.ReadAsStreamAsync(Timeout);
            Assert.True(await body.ReadAsync(new byte[64], Timeout) > 0);
        }

        var row = await fixture.LedgerRowAsync(requestId, Timeout);
        Assert.Equal("client_disconnected", row.GetProperty("status").GetString());
        Assert.Equal(3, Fake.RequestCount);
    }

    /// <summary>Prompt i's answer j is choice i × n + j, its text the fake's echo of prompt i.</summary>
    private static void AssertChoicesInOrder(JsonNode body, int n)
    {
        Assert.Equal("text_completion", (string?)body["object"]);
        var choices = body["choices"]!.AsArray();
        Assert.Equal(Prompts.Length * n, choices.Count);
        for (var index = 0; index < choices.Count; index++)
        {
            Assert.Equal(index, (int)choices[index]!["index"]!);
            Assert.Equal(("re: " + Prompts[index / n], "stop"), ((string?)choices[index]!["text"], (string?)choices[index]!["finish_reason"]));
        }
    }

    private async Task AssertOneLedgerRowAsync(HttpResponseMessage response, int promptTokens, int completionTokens)
    {
        var row = await fixture.LedgerRowAsync(response.Headers.GetValues("x-request-id").Single(), Timeout);
        Assert.Equal(("text_completion", "success"), (row.GetProperty("call_type").GetString(), row.GetProperty("status").GetString()));
        Assert.Equal((promptTokens, completionTokens), (row.GetProperty("prompt_tokens").GetInt32(), row.GetProperty("completion_tokens").GetInt32()));
        Assert.Equal(promptTokens * InputPrice + completionTokens * OutputPrice, row.GetProperty("spend").GetDecimal());
        Assert.Equal(promptTokens * InputPrice + completionTokens * OutputPrice, decimal.Parse(response.Headers.GetValues("x-gateway-cost-usd").Single(),
            System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<(HttpResponseMessage Response, string Body)> PostAsync(string apiKey, string json)
    {
        using var client = fixture.Api.CreateLoopbackClient(apiKey);
        var response = await client.PostAsync("/v1/completions", new StringContent(json, Encoding.UTF8, "application/json"), Timeout);
        return (response, await response.Content.ReadAsStringAsync(Timeout));
    }
}
