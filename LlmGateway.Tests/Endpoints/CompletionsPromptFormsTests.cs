using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Clients;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Translation;
using Microsoft.ML.Tokenizers;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Endpoints;

/// <summary>
/// <c>POST /v1/completions</c>'s prompt forms over raw HTTP (OpenAI's .NET SDK has no legacy completions client): several
/// prompts × <c>n</c> and token ids passed through unchanged to a completions model, token ids decoded for a chat model,
/// and every prompt × n reserved.
/// </summary>
public sealed class CompletionsPromptFormsTests(CodingAgentFixture fixture) : IClassFixture<CodingAgentFixture>, IAsyncLifetime
{
    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

    private CancellationToken Timeout => timeout.Token;
    private FakeProviderServer Fake => fixture.Fake;

    public ValueTask InitializeAsync()
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        Fake.Reset();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        timeout.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task SeveralPromptsTimesNPassThroughToACompletionsModelOneChoiceEachNumberedAsOpenAiDoes()
    {
        Fake.Default = new FakeResponse { Text = "Done.", PromptTokens = 6, CompletionTokens = 2 };
        var key = await fixture.NewKeyAsync(Timeout);

        var (response, text) = await PostAsync(key, $$"""{"model":"{{InstructGroup}}","prompt":["Say a","Say b"],"n":2,"max_tokens":5,"echo":false}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choices = JsonNode.Parse(text)!["choices"]!.AsArray();
        Assert.Equal([0, 1, 2, 3], choices.Select(c => (int)c!["index"]!));
        Assert.All(choices, c => Assert.Equal("Done.", (string?)c!["text"]));
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal("/v1/completions", upstream.Path);
        Assert.Equal(("gpt-3.5-turbo-instruct", """["Say a","Say b"]""", 2), (upstream.Model, upstream.Json!["prompt"]!.ToJsonString(), (int)upstream.Json["n"]!));
        // Billed from the upstream's own usage: 6 prompt tokens and 2 for each of the 4 choices.
        var row = await fixture.LedgerRowAsync(response.Headers.GetValues("x-request-id").Single(), Timeout);
        Assert.Equal(6 * InputPrice + 8 * OutputPrice, row.GetProperty("spend").GetDecimal());
    }

    [Fact]
    public async Task TokenIdPromptsStreamThroughUnchangedWithEveryChoiceAndTheUsageChunkOnlyWhenAsked()
    {
        Fake.Default = new FakeResponse { Text = "One two", PromptTokens = 4, CompletionTokens = 2 };
        var key = await fixture.NewKeyAsync(Timeout);

        var (response, text) = await PostAsync(key, $$"""{"model":"{{InstructGroup}}","prompt":[[9906,11],[13225]],"stream":true}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = SseText.Parse(Encoding.UTF8.GetBytes(text));
        Assert.Equal("[DONE]", events[^1].Data);
        var chunks = events.SkipLast(1).Select(e => JsonNode.Parse(e.Data)!).ToList();
        Assert.All(chunks, c => Assert.NotEmpty(c["choices"]!.AsArray())); // the usage chunk the gateway asked for is hidden
        Assert.Equal([0, 1], chunks.Select(c => (int)c["choices"]![0]!["index"]!).Distinct().Order());
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal("[[9906,11],[13225]]", upstream.Json!["prompt"]!.ToJsonString());
        Assert.Equal(true, (bool?)upstream.Json["stream_options"]?["include_usage"]);
        var row = await fixture.LedgerRowAsync(response.Headers.GetValues("x-request-id").Single(), Timeout);
        Assert.Equal(4 * InputPrice + 4 * OutputPrice, row.GetProperty("spend").GetDecimal());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TokenIdsAreDecodedWithTheGatewaysTokenizerForAChatModel(bool nested)
    {
        Fake.Default = new FakeResponse { Text = "Once.", PromptTokens = 3, CompletionTokens = 1 };
        var key = await fixture.NewKeyAsync(Timeout);
        var ids = string.Join(",", TiktokenTokenizer.CreateForEncoding("o200k_base").EncodeToIds("Tell a story"));

        var (response, text) = await PostAsync(key, $$"""{"model":"{{AnthropicGroup}}","prompt":{{(nested ? $"[[{ids}]]" : $"[{ids}]")}},"max_tokens":5}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Once.", (string?)JsonNode.Parse(text)!["choices"]![0]!["text"]);
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal("/v1/messages", upstream.Path);
        Assert.Contains("Tell a story", upstream.Json!["messages"]![0]!.ToJsonString());
    }

    [Fact]
    public async Task TheReservationCountsEveryPromptTimesN()
    {
        // Each answer may cost 1,000 output tokens × $0.000015 = $0.015: 2 prompts × n 2 = $0.06 is over the $0.04 budget, 1 × 2 is not.
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = $"completions-{Guid.NewGuid():N}", max_budget = 0.04 }, null, Timeout);

        var (four, _) = await PostAsync(key, $$"""{"model":"{{InstructGroup}}","prompt":["a","b"],"n":2,"max_tokens":1000}""");
        var requestsAfterRefusal = Fake.RequestCount;
        var (two, _) = await PostAsync(key, $$"""{"model":"{{InstructGroup}}","prompt":"a","n":2,"max_tokens":1000}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, four.StatusCode);
        Assert.Equal(0, requestsAfterRefusal);
        Assert.Equal(HttpStatusCode.OK, two.StatusCode);
    }

    private async Task<(HttpResponseMessage Response, string Body)> PostAsync(string key, string json)
    {
        using var client = fixture.Api.CreateLoopbackClient(key);
        var response = await client.PostAsync("/v1/completions", new StringContent(json, Encoding.UTF8, "application/json"), Timeout);
        return (response, await response.Content.ReadAsStringAsync(Timeout));
    }
}
