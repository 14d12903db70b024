using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fakes;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: ask the provider to search the web, which it bills per call ($10–35 per 1,000), while the gateway billed tokens
/// only — and without <c>max_uses</c>, search without bound under a budget. Every search (and fetch) is now read from the
/// provider's usage, JSON or streamed, priced, charged to the ledger and the budget, and reserved before the call: each
/// tool's <c>max_uses</c>, else the ceiling the gateway also sends upstream.
/// </summary>
public sealed class HostedToolFeesTests(HostedToolFeesFixture fixture) : IClassFixture<HostedToolFeesFixture>
{
    private const decimal Tokens = 10 * HostedToolFeesFixture.InputRate + 20 * HostedToolFeesFixture.OutputRate;
    private static readonly FakeResponse Searched = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 20, WebSearchRequests = 3, WebFetchRequests = 2 };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnthropicSearchesAndFetchesAreChargedPerCallStreamedOrNot()
    {
        var key = await fixture.KeyAsync(new { team_alias = $"claude-search-{Guid.NewGuid():N}", max_budget = 5 });
        fixture.Upstream.Enqueue(Searched, Searched);
        const string Tools = """[{"type":"web_search_20250305","name":"web_search","max_uses":5},{"type":"web_fetch_20250910","name":"web_fetch","max_uses":5}]""";

        using var json = await PostAsync(key, "/v1/messages", $$"""{"model":"claude-searcher","max_tokens":50,"tools":{{Tools}},"messages":[{"role":"user","content":"find it"}]}""");
        using var stream = await PostAsync(key, "/v1/messages", $$"""{"model":"claude-searcher","max_tokens":50,"stream":true,"tools":{{Tools}},"messages":[{"role":"user","content":"find it"}]}""");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (json.StatusCode, stream.StatusCode));
        Assert.Contains("message_stop", await stream.Content.ReadAsStringAsync(Ct));
        // 3 searches at Anthropic's $0.01 and 2 fetches at the configured $0.001, on top of the tokens; the stream's count
        // arrives on message_delta only.
        Assert.Equal([Tokens + 0.032m, Tokens + 0.032m], await fixture.SpendsAsync(key, 2));
    }

    [Fact]
    public async Task ResponsesWebSearchCallsAreChargedPerCallStreamedOrNot()
    {
        var key = await fixture.KeyAsync(new { team_alias = $"gpt-search-{Guid.NewGuid():N}", max_budget = 5 });
        var before = fixture.Upstream.RequestCount;
        fixture.Upstream.Enqueue(Searched with { WebSearchRequests = 2 }, Searched with { WebSearchRequests = 2 });

        using var json = await PostAsync(key, "/v1/responses", """{"model":"gpt-searcher","input":"find it","tools":[{"type":"web_search"}]}""");
        using var stream = await PostAsync(key, "/v1/responses", """{"model":"gpt-searcher","input":"find it","stream":true,"tools":[{"type":"web_search"}]}""");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (json.StatusCode, stream.StatusCode));
        Assert.Contains("response.completed", await stream.Content.ReadAsStringAsync(Ct));
        // Two web_search_call items at the medium rate of the deployment's search_context_cost_per_query.
        Assert.Equal([Tokens + 0.06m, Tokens + 0.06m], await fixture.SpendsAsync(key, 2));
        // No max_tool_calls from the client: the gateway bounds the calls upstream to the ceiling it reserved.
        Assert.All(fixture.Upstream.Requests.Skip(before), r => Assert.Equal(10, r.Json?["max_tool_calls"]?.GetValue<int>()));
    }

    [Fact]
    public async Task ChatWebSearchOptionsAndSearchModelsAreChargedOneSearch()
    {
        var key = await fixture.KeyAsync(new { team_alias = $"chat-search-{Guid.NewGuid():N}", max_budget = 5 });
        var plain = Searched with { WebSearchRequests = 0, WebFetchRequests = 0 };
        fixture.Upstream.Enqueue(plain, plain, plain);

        using var options = await PostAsync(key, "/v1/chat/completions",
            """{"model":"chat-searcher","web_search_options":{"search_context_size":"low"},"messages":[{"role":"user","content":"find it"}]}""");
        using var streamed = await PostAsync(key, "/v1/chat/completions",
            """{"model":"chat-searcher","stream":true,"web_search_options":{},"messages":[{"role":"user","content":"find it"}]}""");
        using var preview = await PostAsync(key, "/v1/chat/completions", """{"model":"search-preview","messages":[{"role":"user","content":"find it"}]}""");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (options.StatusCode, streamed.StatusCode, preview.StatusCode));
        Assert.Equal([Tokens + 0.035m, Tokens + 0.04m, Tokens + 0.04m], (await fixture.SpendsAsync(key, 3)).Order());
    }

    [Fact]
    public async Task AReservationCoversEverySearchTheToolMayRunAndRefusesWhatTheBudgetCannotCover()
    {
        // Worst case: 100 output tokens × $0.0001 = $0.01, plus the searches at $0.01. The budget is $0.05.
        var key = await fixture.KeyAsync(new { team_alias = $"search-budget-{Guid.NewGuid():N}", max_budget = 0.05 });
        var before = fixture.Upstream.RequestCount;
        fixture.Upstream.Enqueue(Searched with { WebSearchRequests = 1, WebFetchRequests = 0 });

        // No max_uses: the ceiling's 10 searches ($0.10) are reserved, over the budget — refused before any upstream call.
        using var unbounded = await PostAsync(key, "/v1/messages", SearchBody(""));
        var afterRefusal = fixture.Upstream.RequestCount;
        // max_uses 2: $0.02 of searches + $0.01 of output fits.
        using var bounded = await PostAsync(key, "/v1/messages", SearchBody(""","max_uses":2"""));

        Assert.Equal(HttpStatusCode.TooManyRequests, unbounded.StatusCode);
        Assert.Contains("budget", await unbounded.Content.ReadAsStringAsync(Ct));
        Assert.Equal(before, afterRefusal);
        Assert.Equal(HttpStatusCode.OK, bounded.StatusCode);
        Assert.Equal(2, fixture.Upstream.Requests[^1].Json?["tools"]?[0]?["max_uses"]?.GetValue<int>());
    }

    [Fact]
    public async Task AToolWithoutMaxUsesIsBoundedUpstreamToTheReservedCeiling()
    {
        var key = await fixture.KeyAsync(new { team_alias = $"search-ceiling-{Guid.NewGuid():N}", max_budget = 5 });
        fixture.Upstream.Enqueue(Searched with { WebSearchRequests = 1, WebFetchRequests = 0 });

        using var response = await PostAsync(key, "/v1/messages", SearchBody(""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var tool = fixture.Upstream.Requests[^1].Json?["tools"]?[0];
        Assert.Equal((10, "web_search"), (tool?["max_uses"]?.GetValue<int>(), tool?["name"]?.GetValue<string>()));
        Assert.Equal([Tokens + 0.01m], await fixture.SpendsAsync(key, 1));
    }

    [Fact]
    public async Task FileSearchesAndCodeInterpreterSessionsAreChargedStreamedOrNot()
    {
        var key = await fixture.KeyAsync(new { team_alias = $"gpt-tools-{Guid.NewGuid():N}", max_budget = 5 });
        var used = Searched with { WebSearchRequests = 0, WebFetchRequests = 0, FileSearchCalls = 3, CodeInterpreterContainers = ["cntr_a", "cntr_a", "cntr_b"] };
        fixture.Upstream.Enqueue(used, used);

        using var json = await PostAsync(key, "/v1/responses", ToolsBody(""));
        using var stream = await PostAsync(key, "/v1/responses", ToolsBody(""","stream":true"""));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (json.StatusCode, stream.StatusCode));
        Assert.Contains("response.completed", await stream.Content.ReadAsStringAsync(Ct));
        // 3 file searches at $2.50 a thousand, 2 containers (three calls, two container ids) at $0.03.
        Assert.Equal([Tokens + 0.0675m, Tokens + 0.0675m], await fixture.SpendsAsync(key, 2));
    }

    [Fact]
    public async Task AReservationCoversTheFileSearchesAndTheContainerAndRefusesWhatTheBudgetCannotCover()
    {
        // Worst case: 100 output tokens × $0.0001 = $0.01, a container $0.03, the file searches $0.0025 each. The budget is $0.05.
        var key = await fixture.KeyAsync(new { team_alias = $"tools-budget-{Guid.NewGuid():N}", max_budget = 0.05 });
        var before = fixture.Upstream.RequestCount;
        fixture.Upstream.Enqueue(Searched with { WebSearchRequests = 0, WebFetchRequests = 0, FileSearchCalls = 1 });

        // No max_tool_calls: the ceiling's 10 searches ($0.025) are reserved, over the budget — refused before any upstream call.
        using var unbounded = await PostAsync(key, "/v1/responses", ToolsBody(""));
        var afterRefusal = fixture.Upstream.RequestCount;
        // max_tool_calls 2: $0.005 of searches + $0.03 + $0.01 fits.
        using var bounded = await PostAsync(key, "/v1/responses", ToolsBody(""","max_tool_calls":2"""));

        Assert.Equal(HttpStatusCode.TooManyRequests, unbounded.StatusCode);
        Assert.Contains("budget", await unbounded.Content.ReadAsStringAsync(Ct));
        Assert.Equal(before, afterRefusal);
        Assert.Equal(HttpStatusCode.OK, bounded.StatusCode);
        Assert.Equal(2, fixture.Upstream.Requests[^1].Json?["max_tool_calls"]?.GetValue<int>());
    }

    [Fact]
    public async Task AFileSearchWithoutMaxToolCallsIsBoundedUpstreamToTheReservedCeiling()
    {
        var key = await fixture.KeyAsync(new { team_alias = $"tools-ceiling-{Guid.NewGuid():N}", max_budget = 5 });
        fixture.Upstream.Enqueue(Searched with { WebSearchRequests = 0, WebFetchRequests = 0, FileSearchCalls = 1 });

        using var response = await PostAsync(key, "/v1/responses", ToolsBody(""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(10, fixture.Upstream.Requests[^1].Json?["max_tool_calls"]?.GetValue<int>());
    }

    private static string ToolsBody(string fields) =>
        $$$"""{"model":"gpt-tools","max_output_tokens":100,"input":"look it up","tools":[{"type":"file_search","vector_store_ids":["vs_1"]},{"type":"code_interpreter","container":{"type":"auto"}}]{{{fields}}}}""";

    private static string SearchBody(string toolFields) =>
        $$"""{"model":"claude-searcher","max_tokens":100,"tools":[{"type":"web_search_20250305","name":"web_search"{{toolFields}}}],"messages":[{"role":"user","content":"find it"}]}""";

    private async Task<HttpResponseMessage> PostAsync(string key, string path, string json)
    {
        using var client = fixture.Api.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        var response = await client.SendAsync(request, Ct);
        await response.Content.LoadIntoBufferAsync(Ct);
        return response;
    }
}
