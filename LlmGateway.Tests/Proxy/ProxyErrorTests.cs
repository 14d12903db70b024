using System.Diagnostics;
using System.Net;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>Upstream failures as the client sees them: a refused request passes on, an unavailable provider names the group, a hang times out.</summary>
public sealed class ProxyErrorTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    private const string ProviderMessage = "max_tokens is too large: 999999. This model supports at most 4096 completion tokens.";

    [Theory]
    [InlineData(OpenAiGroup)]
    [InlineData(AnthropicGroup)]
    public async Task AnUpstream400PassesThroughAs400WithTheProvidersMessageInTheOpenAiEnvelope(string group)
    {
        Fake.Enqueue(FakeResponse.Error(400, ProviderMessage));

        using var response = await PostAsync("/v1/chat/completions", Chat(group));
        var error = AssertOpenAiError(await JsonAsync(response));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", (string?)error["type"]);
        Assert.Contains(ProviderMessage, (string?)error["message"]);
        Assert.Equal(1, Fake.RequestCount);
    }

    [Theory]
    [InlineData(OpenAiGroup)]
    [InlineData(AnthropicGroup)]
    public async Task AnUpstream400PassesThroughAs400WithTheProvidersMessageInTheAnthropicEnvelope(string group)
    {
        Fake.Enqueue(FakeResponse.Error(400, ProviderMessage));

        using var response = await PostAsync("/v1/messages", Messages(group));
        var error = AssertAnthropicError(await JsonAsync(response), "invalid_request_error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(ProviderMessage, (string?)error["message"]);
    }

    [Theory]
    [InlineData(500, HttpStatusCode.ServiceUnavailable)]
    [InlineData(503, HttpStatusCode.ServiceUnavailable)]
    [InlineData(429, HttpStatusCode.ServiceUnavailable)]
    public async Task AnUnavailableUpstreamIsA5xxNamingTheModelGroupAndTheAttempts(int upstreamStatus, HttpStatusCode expected)
    {
        Fake.Enqueue(FakeResponse.Error(upstreamStatus, "provider trouble."));

        using var response = await PostAsync("/v1/chat/completions", Chat(OpenAiGroup));
        var error = AssertOpenAiError(await JsonAsync(response), code: "upstream_unavailable");

        Assert.Equal(expected, response.StatusCode);
        Assert.Contains($"'{OpenAiGroup}'", (string?)error["message"]);
        Assert.Contains("(1 attempt)", (string?)error["message"]);
        Assert.Contains("HTTP " + upstreamStatus + " provider trouble", (string?)error["message"]);
        Assert.Equal(1, Fake.RequestCount);
    }

    [Theory]
    [InlineData(500, HttpStatusCode.ServiceUnavailable, "overloaded_error")]
    [InlineData(529, HttpStatusCode.ServiceUnavailable, "overloaded_error")]
    public async Task AnUnavailableAnthropicUpstreamIsA5xxInTheAnthropicEnvelopeNamingTheGroup(int upstreamStatus, HttpStatusCode expected, string type)
    {
        Fake.Enqueue(FakeResponse.Error(upstreamStatus));

        using var response = await PostAsync("/v1/messages", Messages(AnthropicGroup, stream: true));
        var error = AssertAnthropicError(await JsonAsync(response), type);

        Assert.Equal(expected, response.StatusCode);
        Assert.Contains($"'{AnthropicGroup}'", (string?)error["message"]);
    }

    [Fact]
    public async Task ARateLimitedUpstreamsRetryAfterReachesTheClient()
    {
        Fake.Enqueue(FakeResponse.Error(429, "slow down", TimeSpan.FromSeconds(7)));

        using var response = await PostAsync("/v1/chat/completions", Chat(OpenAiGroup));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AnUpstreamThatSendsNoHeadersWithinTheDeploymentTimeoutIsA503NamingTheTimeoutWithinBoundedTime(bool stream)
    {
        Fake.Default = new FakeResponse { Hang = true };
        // The gateway's ping after a non-streamed timeout (DeploymentPings) is answered at once: the one request the
        // gateway hangs up on is the client's.
        Fake.PingResponse = FakeResponse.Ok;

        var stopwatch = Stopwatch.StartNew();
        using var response = await PostAsync("/v1/chat/completions", Chat(SlowGroup, stream));
        var error = AssertOpenAiError(await JsonAsync(response));

        // Every deployment failed: 503 with Retry-After (the failover issue's rule); the message says it timed out.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(8));
        Assert.Contains("timeout", (string?)error["message"]);
        Assert.Contains($"'{SlowGroup}'", (string?)error["message"]);
        await EventuallyAsync(() => Fake.RequestsAbortedByClient == 1); // the gateway hung up on the upstream
    }

    [Fact]
    public async Task AnUpstreamThatResetsTheConnectionBeforeHeadersIsA503NamingTheGroup()
    {
        Fake.Enqueue(new FakeResponse { ResetBeforeHeaders = true });

        using var response = await PostAsync("/v1/chat/completions", Chat(OpenAiGroup, stream: true));
        var error = AssertOpenAiError(await JsonAsync(response), code: "upstream_unavailable");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains($"'{OpenAiGroup}'", (string?)error["message"]);
    }
}
