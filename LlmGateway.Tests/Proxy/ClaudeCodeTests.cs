using System.Net;
using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.Messages;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Fixtures;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// What Claude Code sends on <c>/v1/messages?beta=true</c>, through the gateway to an Anthropic deployment (passed
/// through with the allowed betas) and to an OpenAI one (translated): what each upstream received and what came back.
/// </summary>
public sealed class ClaudeCodeTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    private Task<HttpResponseMessage> SendAsync(JsonObject body, string betas = ClaudeCodeRequests.Betas) =>
        PostAsync("/v1/messages?beta=true", body.ToJsonString(), request =>
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
            request.Headers.Add("anthropic-beta", betas);
            request.Headers.Add("x-app", "cli");
        });

    [Fact]
    public async Task AnAnthropicDeploymentReceivesClaudeCodesBodyUnchangedButForTheModel()
    {
        var sent = ClaudeCodeRequests.ToolRound(AnthropicGroup);

        using var response = await SendAsync(sent, ClaudeCodeRequests.Betas + ",made-up-beta-2099-01-01");
        var events = await ReadSseAsync(response);

        AssertStatus(HttpStatusCode.OK, response);
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal("/v1/messages", upstream.Path);
        var expected = sent.DeepClone().AsObject();
        expected["model"] = "claude-test";
        Assert.True(JsonNode.DeepEquals(expected, upstream.Json), upstream.Body);
        Assert.Equal(ClaudeCodeRequests.Betas, upstream.Header("anthropic-beta"));
        Assert.Single(events, e => e.Event == "message_start");
        Assert.Equal("message_stop", events[^1].Event);
    }

    [Fact]
    public async Task AnOpenAiDeploymentGetsToolMessagesAndNoAnthropicOnlyFields()
    {
        using var response = await SendAsync(ClaudeCodeRequests.ToolRound(OpenAiGroup));
        await ReadSseAsync(response);

        AssertStatus(HttpStatusCode.OK, response);
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal("/v1/chat/completions", upstream.Path);
        foreach (var field in new[] { "cache_control", "defer_loading", "context_management", "thinking", "budget_tokens" })
            Assert.DoesNotContain(field, upstream.Body, StringComparison.Ordinal);
        Assert.Null(upstream.Header("anthropic-beta"));
        var tools = upstream.Json!["messages"]!.AsArray().Where(m => (string?)m!["role"] == "tool").ToList();
        Assert.Equal(["toolu_01Bash", "toolu_02ReadMe"], tools.Select(t => (string?)t!["tool_call_id"]));
        Assert.Contains("No such tool available", tools[1]!["content"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(4, upstream.Json["tools"]!.AsArray().Count);
    }

    [Fact]
    public async Task ToolCallsFromAnOpenAiDeploymentStreamBackAsToolUseBlocksInOneMessage()
    {
        Fake.Enqueue(FakeResponse.Ok with { Text = "Reading it now.", ToolCalls = [("call_7", "Read", """{"file_path":"src/Program.cs"}""")] });

        using var response = await SendAsync(ClaudeCodeRequests.ToolRound(OpenAiGroup));
        var events = await ReadSseAsync(response);

        AssertStatus(HttpStatusCode.OK, response);
        Assert.Single(events, e => e.Event == "message_start");
        var data = events.Select(e => JsonNode.Parse(e.Data)!.AsObject()).ToList();
        var toolStart = Assert.Single(data, d => (string?)d["content_block"]?["type"] == "tool_use");
        Assert.Equal(("call_7", "Read"), ((string?)toolStart["content_block"]!["id"], (string?)toolStart["content_block"]!["name"]));
        var index = (int)toolStart["index"]!;
        var json = string.Concat(data.Where(d => (string?)d["delta"]?["type"] == "input_json_delta" && (int?)d["index"] == index)
            .Select(d => (string?)d["delta"]!["partial_json"]));
        Assert.Equal("src/Program.cs", (string?)JsonNode.Parse(json)!["file_path"]);
        Assert.DoesNotContain(data, d => (string?)d["delta"]?["type"] is "thinking_delta" or "signature_delta");
        Assert.Equal("tool_use", (string?)data.Single(d => (string?)d["type"] == "message_delta")["delta"]!["stop_reason"]);
        Assert.Equal("message_stop", events[^1].Event);
    }

    [Theory]
    [InlineData(AnthropicGroup)]
    [InlineData(OpenAiGroup)]
    public async Task ASystemRoleInsideMessagesGetsAnthropicsOwnErrorSoClaudeCodeRetriesWithoutIt(string group)
    {
        var body = ClaudeCodeRequests.ToolRound(group);
        body["messages"]!.AsArray().Insert(0, new JsonObject { ["role"] = "system", ["content"] = "You are Claude Code." });

        using var response = await SendAsync(body);
        var error = AssertAnthropicError(await JsonAsync(response), "invalid_request_error");

        AssertStatus(HttpStatusCode.BadRequest, response);
        Assert.Equal(MessagesTurnValidation.UnexpectedSystemRole, (string?)error["message"]);
        Assert.Equal(
            "messages: Unexpected role \"system\". The Messages API accepts a top-level `system` parameter, not \"system\" as an input message role.",
            (string?)error["message"]);
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task AnyOtherRoleStillGetsTheErrorNamingTheField()
    {
        using var response = await PostAsync("/v1/messages",
            $$"""{"model":"{{AnthropicGroup}}","max_tokens":10,"messages":[{"role":"wizard","content":"hi"}]}""");
        var error = AssertAnthropicError(await JsonAsync(response), "invalid_request_error");

        Assert.Equal("'messages[0].role' must be 'user' or 'assistant'.", (string?)error["message"]);
    }

    [Theory]
    [InlineData(400, "invalid_request_error", "prompt is too long: 212345 tokens > 200000 maximum")]
    [InlineData(404, "not_found_error", "model: claude-test")]
    [InlineData(413, "request_too_large", "Request exceeds the maximum allowed number of bytes.")]
    public async Task AnAnthropicDeploymentsRefusalReachesAnAnthropicClientVerbatim(int status, string type, string message)
    {
        Fake.Enqueue(new FakeResponse { Status = status, ErrorType = type, ErrorMessage = message });

        using var response = await SendAsync(ClaudeCodeRequests.ToolRound(AnthropicGroup));
        var body = await JsonAsync(response);

        Assert.Equal(status, (int)response.StatusCode);
        var expected = new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = type, ["message"] = message } };
        Assert.True(JsonNode.DeepEquals(expected, body), body.ToJsonString());
    }

    [Fact]
    public async Task AChatClientOfAnAnthropicDeploymentStillGetsTheRefusalNamingTheModelGroup()
    {
        Fake.Enqueue(new FakeResponse { Status = 400, ErrorType = "invalid_request_error", ErrorMessage = "tools.0: bad schema" });

        using var response = await PostAsync("/v1/chat/completions", Chat(AnthropicGroup));
        var error = AssertOpenAiError(await JsonAsync(response));

        AssertStatus(HttpStatusCode.BadRequest, response);
        Assert.Equal($"The provider rejected the request for model group '{AnthropicGroup}': tools.0: bad schema", (string?)error["message"]);
    }
}
