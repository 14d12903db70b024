using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Api.Shutdown;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// Path variants (a trailing slash, another case) are the same route, with the same authentication, limits, content
/// logging and drain — the filters hang on the route, not on a path string; anything else is a 404.
/// </summary>
public sealed class PathVariantTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    [Theory]
    [InlineData("/v1/chat/completions/")]
    [InlineData("/V1/Chat/Completions")]
    [InlineData("/chat/completions/")]
    public async Task AVariantOfTheChatPathIsTheSameRouteWithTheSameChecks(string path)
    {
        using var anonymous = CreateClient(null);
        using var refused = await PostAsync(path, Chat(OpenAiGroup), client: anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        AssertOpenAiError(await JsonAsync(refused), code: "invalid_api_key");

        using var served = await PostAsync(path, Chat(OpenAiGroup));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(OpenAiDeploymentId, served.Headers.GetValues("x-gateway-deployment").Single());
    }

    [Theory]
    [InlineData("/v1/chat/completions/", "/v1/chat/completions")]
    [InlineData("/V1/CHAT/COMPLETIONS", "/v1/chat/completions")]
    [InlineData("/chat/completions/", "/v1/chat/completions")]
    [InlineData("/v1/messages/", "/v1/messages")]
    [InlineData("/V1/Messages", "/v1/messages")]
    public async Task AVariantCountsAgainstTheKeysLimitsAndPastThemMakesNoUpstreamCall(string variant, string canonical)
    {
        var key = await KeyAsync(new { rpm_limit = 1 });
        using var client = CreateClient(key);
        var body = canonical == "/v1/messages" ? Messages(AnthropicGroup) : Chat(OpenAiGroup);

        using var first = await PostAsync(variant, body, client: client);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var second = await PostAsync(canonical, body, client: client);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        using var third = await PostAsync(variant, body, client: client);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal(1, Fake.RequestCount);
    }

    [Theory]
    [InlineData("/v1/chat/completions/")]
    [InlineData("/V1/Chat/Completions")]
    public async Task AVariantIsContentLoggedWhenTheKeyAsksForIt(string variant)
    {
        var key = await KeyAsync(new { metadata = new { log_content = true } });
        using var client = CreateClient(key);
        using var response = await PostAsync(variant, Chat(OpenAiGroup, content: "variant canary"), client: client);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await response.Content.ReadAsStringAsync(Timeout);
        var requestId = response.Headers.GetValues("x-request-id").Single();

        JsonElement entries = default;
        await LocalProcess.WaitUntilAsync(async () =>
        {
            using var read = await Http.GetAsync($"/content/logs?request_id={requestId}", Timeout);
            entries = await read.Content.ReadFromJsonAsync<JsonElement>(Timeout);
            return read.IsSuccessStatusCode && entries.GetArrayLength() == 1;
        }, TimeSpan.FromSeconds(20), "the variant's content log entry");
        Assert.Contains("variant canary", entries[0].GetProperty("request").GetString());
    }

    [Theory]
    [InlineData("/v1/chat/completions/")]
    [InlineData("/V1/CHAT/COMPLETIONS")]
    public async Task AStreamOnAVariantIsCountedInFlightSoTheDrainWaitsForIt(string variant)
    {
        // The graceful drain on SIGTERM waits for the requests this counter holds (Shutdown/InFlightRequests).
        var inFlight = Api.Services.GetRequiredService<InFlightRequests>();
        Fake.Enqueue(FakeResponse.Ok with { Text = "one two three four five six", DelayBetweenChunks = TimeSpan.FromMilliseconds(300) });
        using var response = await PostAsync(variant, Chat(OpenAiGroup, stream: true));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(inFlight.Count >= 1, "the stream is not counted in flight");
        await response.Content.ReadAsStringAsync(Timeout);
        await EventuallyAsync(() => inFlight.Count == 0);
    }

    private async Task<string> KeyAsync(object request)
    {
        using var response = await Http.PostAsJsonAsync("/key/generate", request, Timeout);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Timeout)).GetProperty("key").GetString()!;
    }

    [Theory]
    [InlineData("/v1/chat/completions/extra")]
    [InlineData("/v1/chat//completions")]
    public async Task AnythingElseIsA404(string path)
    {
        using var response = await PostAsync(path, Chat(OpenAiGroup));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, Fake.RequestCount);
    }
}
