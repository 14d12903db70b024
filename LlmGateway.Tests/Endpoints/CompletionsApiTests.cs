using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Clients;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Translation;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Endpoints;

/// <summary><c>POST /v1/completions</c> (legacy text completions) over raw HTTP, translated to a chat upstream and to Anthropic.</summary>
public sealed class CompletionsApiTests(CodingAgentFixture fixture) : IClassFixture<CodingAgentFixture>, IAsyncLifetime
{
    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private string key = "";

    private CancellationToken Timeout => timeout.Token;
    private FakeProviderServer Fake => fixture.Fake;

    public async ValueTask InitializeAsync()
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        Fake.Reset();
        key = await fixture.NewKeyAsync(Timeout);
    }

    public ValueTask DisposeAsync()
    {
        timeout.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<(HttpResponseMessage Response, string Body)> PostAsync(string json, string path = "/v1/completions")
    {
        using var client = fixture.Api.CreateLoopbackClient(key);
        var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), Timeout);
        return (response, await response.Content.ReadAsStringAsync(Timeout));
    }

    [Fact]
    public async Task APromptIsAskedOfAChatUpstreamAsOneUserTurnAndAnsweredAsATextCompletion()
    {
        Fake.Default = new FakeResponse { Text = "Once upon a time.", PromptTokens = 6, CompletionTokens = 4 };

        var (response, text) = await PostAsync($$"""{"model":"{{OpenAiGroup}}","prompt":["Tell a story"],"stop":"\n","temperature":0.2}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(text)!;
        Assert.Equal(("text_completion", OpenAiGroup), ((string?)body["object"], (string?)body["model"]));
        Assert.StartsWith("cmpl-", (string?)body["id"]);
        Assert.Equal(("Once upon a time.", "stop"), ((string?)body["choices"]![0]!["text"], (string?)body["choices"]![0]!["finish_reason"]));
        Assert.Equal((6, 4), ((int)body["usage"]!["prompt_tokens"]!, (int)body["usage"]!["completion_tokens"]!));
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal("/v1/chat/completions", upstream.Path);
        Assert.Equal("""[{"role":"user","content":"Tell a story"}]""", upstream.Json!["messages"]!.ToJsonString());
        Assert.Equal((16, "\n"), ((int)upstream.Json["max_tokens"]!, (string?)upstream.Json["stop"]![0]));
        var row = await fixture.LedgerRowAsync(response.Headers.GetValues("x-request-id").Single(), Timeout);
        Assert.Equal("text_completion", row.GetProperty("call_type").GetString());
    }

    [Fact]
    public async Task AStreamToAnthropicComesBackAsTextCompletionChunksWithUsageAndDone()
    {
        Fake.Default = new FakeResponse { Text = "One two three", PromptTokens = 5, CompletionTokens = 3 };

        var (response, text) = await PostAsync(
            "{\"model\":\"" + AnthropicGroup + "\",\"prompt\":\"Count\",\"max_tokens\":50,\"stream\":true,\"stream_options\":{\"include_usage\":true}}", "/completions");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = SseText.Parse(Encoding.UTF8.GetBytes(text));
        Assert.Equal("[DONE]", events[^1].Data);
        var chunks = events.SkipLast(1).Select(e => JsonNode.Parse(e.Data)!).ToList();
        Assert.All(chunks, c => Assert.Equal("text_completion", (string?)c["object"]));
        Assert.Equal("One two three", string.Concat(chunks.Where(c => c["choices"]!.AsArray().Count > 0).Select(c => (string?)c["choices"]![0]!["text"])));
        Assert.Equal("stop", (string?)chunks[^2]["choices"]![0]!["finish_reason"]);
        Assert.Equal((5, 3), ((int)chunks[^1]["usage"]!["prompt_tokens"]!, (int)chunks[^1]["usage"]!["completion_tokens"]!));
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal(("/v1/messages", 50), (upstream.Path, (int)upstream.Json!["max_tokens"]!));
    }

    [Theory]
    [InlineData("\"suffix\":\"end\"", "suffix")]
    [InlineData("\"echo\":true", "echo")]
    [InlineData("\"logprobs\":2", "logprobs")]
    [InlineData("\"best_of\":3", "best_of")]
    public async Task WhatOnlyTheLegacyEngineCanDoIsA400NamingTheFieldWithNoUpstreamCall(string field, string param)
    {
        var (response, text) = await PostAsync($$"""{"model":"{{OpenAiGroup}}","prompt":"Hi",{{field}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(("invalid_request_error", param), ((string?)JsonNode.Parse(text)!["error"]!["type"], (string?)JsonNode.Parse(text)!["error"]!["param"]));
        Assert.Equal(0, Fake.RequestCount);
    }

    [Theory]
    [InlineData("\"prompt\":[300000]", "o200k_base")]
    [InlineData("\"prompt\":[\"a\",1]", "same form")]
    [InlineData("\"max_tokens\":1", null)]
    public async Task PromptsTheGatewayCannotServeAreA400AndOneTokenIsFine(string fields, string? message)
    {
        var (response, text) = await PostAsync($$"""{"model":"{{OpenAiGroup}}",{{(fields.StartsWith("\"prompt") ? "" : "\"prompt\":\"Hi\",")}}{{fields}}}""");

        if (message is null)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return;
        }

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (string?)JsonNode.Parse(text)!["error"]!["message"]);
        Assert.Equal(0, Fake.RequestCount);
    }
}
