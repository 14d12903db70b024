#pragma warning disable OPENAI001 // the SDK marks its Responses client as evaluation-only
using System.ClientModel;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Clients;
using LlmGateway.Tests.Fakes;
using OpenAI.Responses;
using static LlmGateway.Tests.Clients.CodingAgentFixture;

namespace LlmGateway.Tests.Endpoints;

/// <summary>
/// Stored responses and governance through the public surface: team isolation, <c>store: false</c>, GET/DELETE/input_items,
/// the ledger row, hosted tools on a backend that cannot run them, and bad input refused before any upstream call.
/// </summary>
public sealed class ResponsesStateTests(CodingAgentFixture fixture) : ResponsesApiTestBase(fixture), IClassFixture<CodingAgentFixture>
{
    [Fact]
    public async Task AnotherTeamsKeyGets404ForAStoredResponseOnGetAndAsPreviousResponseId()
    {
        Fake.Default = new FakeResponse { Text = "Team A's secret answer." };
        ResponseResult mine = await Sdk().CreateResponseAsync(Options(AnthropicGroup, ResponseItem.CreateUserMessageItem("A's question")), Timeout);
        var otherTeam = await Fixture.NewKeyAsync(Timeout);

        Assert.Equal("Team A's secret answer.", (await Sdk().GetResponseAsync(mine.Id, Timeout)).Value.GetOutputText());
        var onGet = await Assert.ThrowsAsync<ClientResultException>(() => Sdk(otherTeam).GetResponseAsync(mine.Id, Timeout));
        Assert.Equal(404, onGet.Status);
        var calls = Fake.RequestCount;
        var (response, body) = await PostAsync(
            $$"""{"model":"{{AnthropicGroup}}","input":"continue","previous_response_id":"{{mine.Id}}"}""", otherTeam);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var expected = JsonNode.Parse("{\"error\":{\"message\":\"Response with id '" + mine.Id
            + "' not found.\",\"type\":\"invalid_request_error\",\"param\":\"previous_response_id\",\"code\":\"previous_response_not_found\"}}");
        Assert.True(JsonNode.DeepEquals(expected, body), body.ToJsonString());
        Assert.DoesNotContain("secret", body.ToJsonString());
        Assert.Equal(calls, Fake.RequestCount);
    }

    [Fact]
    public async Task StoreFalseKeepsNothingAndAStoredResponseCanBeListedAndDeleted()
    {
        Fake.Default = new FakeResponse { Text = "Hello." };
        var unstored = Options(OpenAiGroup, ResponseItem.CreateUserMessageItem("Say hello"));
        unstored.StoredOutputEnabled = false;
        ResponseResult ephemeral = await Sdk().CreateResponseAsync(unstored, Timeout);
        ResponseResult stored = await Sdk().CreateResponseAsync(Options(OpenAiGroup,
            ResponseItem.CreateDeveloperMessageItem("Be brief."), ResponseItem.CreateUserMessageItem("Say hello")), Timeout);

        Assert.Equal(404, (await Assert.ThrowsAsync<ClientResultException>(() => Sdk().GetResponseAsync(ephemeral.Id, Timeout))).Status);
        var items = new List<ResponseItem>();
        await foreach (var item in Sdk().GetResponseInputItemsAsync(stored.Id, Timeout))
            items.Add(item);
        Assert.Equal(["Say hello", "Be brief."], items.Cast<MessageResponseItem>().Select(m => m.Content[0].Text)); // newest first
        using var http = Http();
        var deleted = JsonNode.Parse(await (await http.DeleteAsync($"/v1/responses/{stored.Id}", Timeout)).Content.ReadAsStringAsync(Timeout))!;
        Assert.Equal("{\"id\":\"" + stored.Id + "\",\"object\":\"response\",\"deleted\":true}", deleted.ToJsonString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/v1/responses/{stored.Id}", Timeout)).StatusCode);
    }

    [Fact]
    public async Task TheLedgerRowHasCallTypeResponsesAndTheCostOfTheUsage()
    {
        Fake.Default = new FakeResponse { Text = "Priced.", PromptTokens = 1000, CompletionTokens = 100 };

        var result = await Sdk().CreateResponseAsync(Options(AnthropicGroup, ResponseItem.CreateUserMessageItem("Say hello")), Timeout);

        var row = await Fixture.LedgerRowAsync(RequestIdOf(result), Timeout);
        Assert.Equal("responses", row.GetProperty("call_type").GetString());
        Assert.Equal((1000, 100), (row.GetProperty("prompt_tokens").GetInt64(), row.GetProperty("completion_tokens").GetInt64()));
        Assert.Equal(1000 * InputPrice + 100 * OutputPrice, row.GetProperty("spend").GetDecimal());
    }

    [Fact]
    public async Task AHostedToolForAnAnthropicDeploymentIsA400NamingTheToolWithNoUpstreamCall()
    {
        var (response, body) = await PostAsync(
            $$"""{"model":"{{AnthropicGroup}}","input":"Search the news","tools":[{"type":"web_search"}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = body["error"]!;
        Assert.Equal(("invalid_request_error", "tools[0].type"), ((string?)error["type"], (string?)error["param"]));
        Assert.Contains("web_search", (string?)error["message"]);
        Assert.Equal(0, Fake.RequestCount);
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { """{"model":"claude-sonnet"}""", "input" },
        { """{"model":"claude-sonnet","input":42}""", "input" },
        { """{"model":"claude-sonnet","input":"hi","max_output_tokens":8}""", "max_output_tokens" },
        { """{"model":"claude-sonnet","input":[{"role":"robot","content":"hi"}]}""", "input[0].role" },
        { """{"model":"claude-sonnet","input":[{"type":"function_call_output","call_id":"call_nowhere","output":"x"}]}""", "input[0].call_id" },
        { """{"model":"claude-sonnet","input":"hi","tools":[{"type":"function"}]}""", "tools[0].name" },
        { """{"model":"claude-sonnet","input":"hi","background":true}""", "background" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInputIsA400InOpenAisEnvelopeNamingTheFieldWithNoUpstreamCall(string json, string param)
    {
        var (response, body) = await PostAsync(json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = Assert.IsType<JsonObject>(Assert.Single(body).Value);
        Assert.Equal(["message", "type", "param", "code"], error.Select(p => p.Key));
        Assert.Equal(("invalid_request_error", param), ((string?)error["type"], (string?)error["param"]));
        Assert.Equal(0, Fake.RequestCount);
    }
}
