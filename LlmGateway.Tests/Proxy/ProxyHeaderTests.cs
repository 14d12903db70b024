using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>What the gateway adds to responses, and what it sends upstream: the deployment's key and a trace context, nothing of the client's.</summary>
public sealed partial class ProxyHeaderTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    private const string ClientTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Theory]
    [InlineData("/v1/chat/completions", OpenAiGroup, false, "openai", OpenAiDeploymentId)]
    [InlineData("/v1/chat/completions", OpenAiGroup, true, "openai", OpenAiDeploymentId)]
    [InlineData("/v1/messages", AnthropicGroup, false, "anthropic", AnthropicDeploymentId)]
    [InlineData("/v1/messages", AnthropicGroup, true, "anthropic", AnthropicDeploymentId)]
    public async Task ResponsesCarryTheRequestIdProviderDeploymentAttemptsAndServerTiming(
        string path, string group, bool stream, string provider, string deployment)
    {
        using var response = await PostAsync(path, path == "/v1/messages" ? Messages(group, stream) : Chat(group, stream));
        await response.Content.ReadAsStringAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches("^[0-9a-f]{32}$", Header(response, "x-request-id"));
        Assert.Equal(provider, Header(response, "x-gateway-provider"));
        Assert.Equal(deployment, Header(response, "x-gateway-deployment"));
        Assert.Equal("1", Header(response, "x-gateway-attempts"));
        var timing = Header(response, "Server-Timing");
        foreach (var stage in new[] { "auth", "upstream", "total" })
            Assert.Matches($@"(^|,\s*){stage};dur=\d+(\.\d+)?", timing);
        Assert.Equal(stream ? "text/event-stream" : "application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task APlainClientRequestIdIsKeptAndAnUnsafeOneIsReplaced()
    {
        using var kept = await PostAsync("/v1/chat/completions", Chat(OpenAiGroup), r => r.Headers.Add("x-request-id", "client-req-42"));
        using var replaced = await PostAsync("/v1/chat/completions", Chat(OpenAiGroup), r => r.Headers.TryAddWithoutValidation("x-request-id", "evil<script>id"));

        Assert.Equal("client-req-42", Header(kept, "x-request-id"));
        Assert.Matches("^[0-9a-f]{32}$", Header(replaced, "x-request-id"));
    }

    [Fact]
    public async Task AnErrorResponseCarriesARequestIdToo()
    {
        using var response = await PostAsync("/v1/chat/completions", Chat("no-such-model"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Matches("^[0-9a-f]{32}$", Header(response, "x-request-id"));
    }

    public static TheoryData<string, string, string, string, string> Deployments => new()
    {
        { "/v1/chat/completions", OpenAiGroup, "authorization", $"Bearer {OpenAiDeploymentKey}", "/v1/chat/completions" },
        { "/v1/messages", AnthropicGroup, "x-api-key", AnthropicDeploymentKey, "/v1/messages" },
        { "/v1/chat/completions", AzureClassicGroup, "api-key", AzureDeploymentKey, "/openai/deployments/my-deployment/chat/completions" },
        { "/v1/chat/completions", AzureV1Group, "api-key", AzureDeploymentKey, "/openai/v1/chat/completions" },
    };

    [Theory]
    [MemberData(nameof(Deployments))]
    public async Task ClientAuthorizationAndCookiesNeverReachTheUpstreamWhichGetsTheDeploymentsOwnKey(
        string path, string group, string keyHeader, string keyValue, string upstreamPath)
    {
        using var response = await PostAsync(path, path == "/v1/messages" ? Messages(group) : Chat(group), request =>
        {
            request.Headers.Add("Cookie", "session=client-session-secret");
            request.Headers.Add("x-custom", "client-custom-secret");
            request.Headers.Add("x-forwarded-for", "203.0.113.9");
            request.Headers.Add("OpenAI-Organization", "org-client");
        });
        await response.Content.ReadAsStringAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal(upstreamPath, upstream.Path);
        Assert.Equal(keyValue, upstream.Header(keyHeader));
        foreach (var other in new[] { "authorization", "x-api-key", "api-key" }.Where(h => h != keyHeader))
            Assert.Null(upstream.Header(other));
        foreach (var clientOnly in new[] { "cookie", "x-custom", "x-forwarded-for", "openai-organization" })
            Assert.Null(upstream.Header(clientOnly));
        Assert.DoesNotContain(upstream.Headers.Values, value => value.Contains(GatewayApiHost.MasterKey, StringComparison.Ordinal)
            || value.Contains("client-", StringComparison.Ordinal));
        Assert.DoesNotContain(GatewayApiHost.MasterKey, upstream.Body);
    }

    [Fact]
    public async Task AnAnthropicStyleClientKeyIsNotForwardedInPlaceOfTheDeploymentKey()
    {
        using var client = CreateClient(bearer: null);
        using var response = await PostAsync("/v1/messages", Messages(AnthropicGroup),
            request => request.Headers.Add("x-api-key", GatewayApiHost.MasterKey), client);
        await response.Content.ReadAsStringAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(AnthropicDeploymentKey, Assert.Single(Fake.Requests).Header("x-api-key"));
    }

    [Theory]
    [InlineData("/v1/chat/completions", OpenAiGroup)]
    [InlineData("/v1/messages", AnthropicGroup)]
    public async Task AW3cTraceparentIsSentUpstream(string path, string group)
    {
        using var response = await PostAsync(path, path == "/v1/messages" ? Messages(group) : Chat(group), request =>
        {
            request.Headers.Add("traceparent", ClientTraceparent);
            request.Headers.Add("tracestate", "vendor=abc");
        });
        await response.Content.ReadAsStringAsync(Timeout);

        var upstream = Assert.Single(Fake.Requests);
        var traceparent = upstream.Header("traceparent");
        Assert.NotNull(traceparent);
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", traceparent);
        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", traceparent); // the client's trace continues upstream
        Assert.NotEqual(ClientTraceparent, traceparent); // a span of the gateway's own, never the client's header copied
        Assert.DoesNotMatch("-0{16}-", traceparent);
        Assert.Equal("vendor=abc", upstream.Header("tracestate"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")]
    [InlineData("not a trace context")]
    public async Task NoTraceContextGoesUpstreamWithoutAValidOneFromTheClient(string? clientTraceparent)
    {
        using var response = await PostAsync("/v1/chat/completions", Chat(OpenAiGroup), request =>
        {
            if (clientTraceparent is not null)
                request.Headers.TryAddWithoutValidation("traceparent", clientTraceparent);
        });
        await response.Content.ReadAsStringAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(Assert.Single(Fake.Requests).Header("traceparent"));
    }

    [Fact]
    public async Task AzureClassicDeploymentsAreCalledOnTheDeploymentPathWithTheApiVersion()
    {
        using var response = await PostAsync("/v1/chat/completions", Chat(AzureClassicGroup));
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("azure", Header(response, "x-gateway-provider"));
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal("/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21", upstream.PathAndQuery);
        Assert.Equal("Hello from fake-openai model my-deployment", (string?)body["choices"]![0]!["message"]!["content"]);
    }

    [Fact]
    public async Task AzureV1DeploymentsAreCalledOnTheV1PathWithoutAnApiVersion()
    {
        using var response = await PostAsync("/v1/chat/completions", Chat(AzureV1Group, stream: true));
        var events = await ReadSseAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Assert.Single(Fake.Requests);
        Assert.Equal("/openai/v1/chat/completions", upstream.PathAndQuery);
        Assert.Equal("my-v1-deployment", upstream.Model);
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.Contains(events, e => e.Data.Contains("my-v1-deployment", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APlainAnthropicBetaHeaderIsForwardedAndOneWithOddCharactersIsDropped()
    {
        using var plain = await PostAsync("/v1/messages", Messages(AnthropicGroup),
            request => request.Headers.Add("anthropic-beta", "prompt-caching-2024-07-31"));
        await plain.Content.ReadAsStringAsync(Timeout);
        using var odd = await PostAsync("/v1/messages", Messages(AnthropicGroup),
            request => request.Headers.TryAddWithoutValidation("anthropic-beta", "beta;x-evil=<1>"));
        await odd.Content.ReadAsStringAsync(Timeout);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (plain.StatusCode, odd.StatusCode));
        Assert.Equal("prompt-caching-2024-07-31", Fake.Requests[0].Header("anthropic-beta"));
        Assert.Null(Fake.Requests[1].Header("anthropic-beta"));
        Assert.Equal("2023-06-01", Fake.Requests[1].Header("anthropic-version"));
    }

    [Theory]
    [InlineData("anthropic-beta: claude-code-20250219\r\nx-evil: 1\r\n")]
    [InlineData("anthropic-beta: claude-code-20250219\nx-evil: 1\r\n")]
    public async Task AHeaderInjectedWithALineBreakNeverReachesTheUpstream(string headers)
    {
        var (status, _) = await RawRequestAsync(headers);

        Assert.Equal(200, status);
        var upstream = Assert.Single(Fake.Requests);
        Assert.Null(upstream.Header("x-evil"));
        Assert.Equal("claude-code-20250219", upstream.Header("anthropic-beta"));
        Assert.DoesNotContain(upstream.Headers, h => h.Value.IndexOfAny(['\r', '\n', '\0']) >= 0);
    }

    [Theory]
    [InlineData("anthropic-beta: a\0x-evil: 1\r\n")]
    [InlineData("anthropic-beta: a\rx-evil: 1\r\n")]
    public async Task ANulOrBareCarriageReturnInAHeaderIsRefusedAndNothingReachesTheUpstream(string header)
    {
        var (status, _) = await RawRequestAsync(header);

        Assert.Equal(400, status);
        Assert.Equal(0, Fake.RequestCount);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(",", contentValues)
        : throw new Xunit.Sdk.XunitException($"Response has no {name} header.");

    /// <summary>An HTTP/1.1 request written byte by byte on a socket, since HttpClient refuses CR, LF and NUL in header values.</summary>
    private async Task<(int Status, string Response)> RawRequestAsync(string extraHeaders)
    {
        var body = Messages(AnthropicGroup);
        var head = $"POST /v1/messages HTTP/1.1\r\nHost: {Api.BaseAddress.Authority}\r\nAuthorization: Bearer {GatewayApiHost.MasterKey}\r\n"
            + $"Content-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n{extraHeaders}\r\n";
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Api.BaseAddress.Host, Api.BaseAddress.Port, Timeout);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(head + body), Timeout);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(Timeout);
        var match = StatusLine().Match(text);
        Assert.True(match.Success, $"No HTTP status line in: {text}");
        return (int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), text);
    }

    [GeneratedRegex(@"^HTTP/1\.1 (\d{3})")]
    private static partial Regex StatusLine();
}
