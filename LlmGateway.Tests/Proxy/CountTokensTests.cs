using System.Net;
using System.Text.Json.Nodes;
using LlmGateway.Api.Proxy;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Fixtures;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary><c>POST /v1/messages/count_tokens</c>: exact from an Anthropic deployment, estimated for any other, labelled, free.</summary>
public sealed class CountTokensTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    private static string CountBody(string model)
    {
        var body = ClaudeCodeRequests.ToolRound(model);
        foreach (var field in new[] { "max_tokens", "stream", "metadata", "context_management" })
            body.Remove(field);
        return body.ToJsonString();
    }

    private Task<HttpResponseMessage> CountAsync(string body, HttpClient? client = null) =>
        PostAsync("/v1/messages/count_tokens?beta=true", body, request => request.Headers.Add("anthropic-beta", ClaudeCodeRequests.Betas + ",made-up-beta"), client);

    [Fact]
    public async Task AnAnthropicDeploymentCountsExactlyWithTheModelRewritten()
    {
        Fake.Enqueue(FakeResponse.Ok with { PromptTokens = 12345 });

        using var response = await CountAsync(CountBody(AnthropicGroup));
        var body = await JsonAsync(response);

        AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("exact", response.Headers.GetValues(TokenCounter.Header).Single());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"input_tokens":12345}"""), body), body.ToJsonString());
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal("/v1/messages/count_tokens", upstream.Path);
        Assert.Equal("claude-test", upstream.Model);
        Assert.Equal(ClaudeCodeRequests.Betas, upstream.Header("anthropic-beta"));
        Assert.Equal(ProxyFixture.AnthropicDeploymentKey, upstream.Header("x-api-key"));
    }

    [Fact]
    public async Task AnyOtherDeploymentIsEstimatedWithoutAnUpstreamCall()
    {
        using var response = await CountAsync(CountBody(OpenAiGroup));
        var body = await JsonAsync(response);

        AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("estimated", response.Headers.GetValues(TokenCounter.Header).Single());
        Assert.Equal(["input_tokens"], body.Select(p => p.Key));
        Assert.InRange((long)body["input_tokens"]!, 100, 5000);
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task AnUnavailableAnthropicDeploymentFallsBackToTheEstimate()
    {
        Fake.Enqueue(FakeResponse.Error(529));

        using var response = await CountAsync(CountBody(AnthropicGroup));

        AssertStatus(HttpStatusCode.OK, response);
        Assert.Equal("estimated", response.Headers.GetValues(TokenCounter.Header).Single());
        Assert.True((long)(await JsonAsync(response))["input_tokens"]! > 0);
    }

    [Fact]
    public async Task AnAnthropicRefusalOfTheCountReachesTheClientVerbatim()
    {
        Fake.Enqueue(new FakeResponse { Status = 400, ErrorType = "invalid_request_error", ErrorMessage = "messages.0.content: Field required" });

        using var response = await CountAsync(CountBody(AnthropicGroup));
        var error = AssertAnthropicError(await JsonAsync(response), "invalid_request_error");

        AssertStatus(HttpStatusCode.BadRequest, response);
        Assert.Equal("messages.0.content: Field required", (string?)error["message"]);
    }

    [Fact]
    public async Task AnUnknownModelIs404InTheAnthropicEnvelope()
    {
        using var response = await CountAsync(CountBody("no-such-model"));

        AssertStatus(HttpStatusCode.NotFound, response);
        AssertAnthropicError(await JsonAsync(response), "not_found_error");
        Assert.Equal(0, Fake.RequestCount);
    }

    [Fact]
    public async Task AVirtualKeyMayCountOnlyForTheModelsItMayUse()
    {
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(Http, new { team_alias = $"count-{Guid.NewGuid():N}", models = new[] { OpenAiGroup } }, ct: Timeout);
        using var client = CreateClient(key);
        using var nobody = CreateClient(null);

        using var allowed = await CountAsync(CountBody(OpenAiGroup), client);
        using var refused = await CountAsync(CountBody(AnthropicGroup), client);
        using var anonymous = await CountAsync(CountBody(OpenAiGroup), nobody);

        AssertStatus(HttpStatusCode.OK, allowed);
        AssertStatus(HttpStatusCode.Forbidden, refused);
        AssertAnthropicError(await JsonAsync(refused), "permission_error");
        AssertStatus(HttpStatusCode.Unauthorized, anonymous);
        AssertAnthropicError(await JsonAsync(anonymous), "authentication_error");
        Assert.Equal(0, Fake.RequestCount);
    }
}
