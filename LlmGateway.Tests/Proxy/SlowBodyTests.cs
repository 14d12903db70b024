using System.Net;
using System.Text;
using LlmGateway.Api.Proxy;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// Slow and large bodies from raw sockets: a body that trickles in steadily (faster than Kestrel's minimum rate) is
/// cut at the read deadline with a 408 in the client's envelope; memory follows the bytes that came, not the declared
/// length; and beyond the bodies-in-flight bound a request gets a 503 with <c>Retry-After</c>.
/// </summary>
public sealed class SlowBodyTests(TestServers servers, SlowBodyFixture fixture)
    : ProxyTestBase<SlowBodyFixture>(servers, fixture), IClassFixture<SlowBodyFixture>
{
    private BodyReadGate Gate => Api.Services.GetRequiredService<BodyReadGate>();

    [Theory]
    [InlineData("/v1/chat/completions", "\"error\":{")]
    [InlineData("/v1/messages", "\"type\":\"error\"")]
    public async Task ASteadilyTricklingBodyIsCutAtTheDeadlineWith408(string path, string envelope)
    {
        var body = Body(OpenAiGroup, new string('x', 200_000));
        await using var connection = await OpenAsync(path, body.Length);

        // 100 bytes every 100 ms: 1 KB/s, well above Kestrel's 240 B/s minimum rate, and 200 s for the whole body.
        var answer = await connection.TrickleUntilAnsweredAsync(body, 100, TimeSpan.FromMilliseconds(100), Timeout);

        Assert.StartsWith("HTTP/1.1 408", answer);
        Assert.Contains(envelope, answer);
        Assert.Contains("request body did not arrive within", answer);
        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task ATricklingClientHoldsOnlyTheBytesItSent()
    {
        var before = Gate.BufferedBytes;
        var connections = new List<RawHttpConnection>();
        try
        {
            for (var i = 0; i < SlowBodyFixture.MaxBodies; i++)
            {
                // Each declares 10 MB (the limit) and sends a hundred bytes.
                var connection = await OpenAsync("/v1/chat/completions", 10_000_000);
                connections.Add(connection);
                await connection.SendAsync("{\"model\":\"gpt-proxy\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 60), Timeout);
            }

            await WaitUntilAsync(() => Gate.Reading == SlowBodyFixture.MaxBodies);
            Assert.InRange(Gate.BufferedBytes - before, 1, SlowBodyFixture.MaxBodies * 64 * 1024);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }

        await WaitUntilAsync(() => Gate.Reading == 0);
    }

    [Fact]
    public async Task BeyondTheBodiesInFlightBoundARequestGets503WithRetryAfter()
    {
        var connections = new List<RawHttpConnection>();
        try
        {
            for (var i = 0; i < SlowBodyFixture.MaxBodies; i++)
            {
                var connection = await OpenAsync("/v1/chat/completions", 1000);
                connections.Add(connection);
                await connection.SendAsync("{\"model\":", Timeout);
            }

            await WaitUntilAsync(() => Gate.Reading == SlowBodyFixture.MaxBodies);
            using var refused = await Http.PostAsync("/v1/chat/completions", new StringContent(Body(OpenAiGroup, "hi"), Encoding.UTF8, "application/json"), Timeout);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Contains("too_many_bodies_in_flight", await refused.Content.ReadAsStringAsync(Timeout));
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }

        await WaitUntilAsync(() => Gate.Reading == 0);
        using var served = await Http.PostAsync("/v1/chat/completions", new StringContent(Body(OpenAiGroup, "hi"), Encoding.UTF8, "application/json"), Timeout);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    private Task<RawHttpConnection> OpenAsync(string path, int contentLength) =>
        RawHttpConnection.OpenAsync(Api.BaseAddress, "POST", path, new Dictionary<string, string>
        {
            ["Authorization"] = "Bearer " + GatewayApiHost.MasterKey,
            ["Content-Type"] = "application/json",
            ["anthropic-version"] = "2023-06-01",
            ["Content-Length"] = contentLength.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, Timeout);

    private static string Body(string model, string content) =>
        $$"""{"model":"{{model}}","max_tokens":10,"messages":[{"role":"user","content":"{{content}}"}]}""";

    private async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(20, Timeout);
        }
    }
}

/// <summary>The proxy config with a 3 s body deadline and three bodies in flight.</summary>
public sealed class SlowBodyFixture : ProxyFixture
{
    public const int MaxBodies = 3;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Gateway:RequestBodyTimeoutSeconds"] = "3",
        ["Gateway:MaxBodiesInFlight"] = MaxBodies.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
