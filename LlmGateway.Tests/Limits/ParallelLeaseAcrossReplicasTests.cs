using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmGateway.Tests.Adversarial;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Limits;

/// <summary>
/// <c>max_parallel_requests: 1</c> behind a round-robin load balancer: a client sending one request at a time, each to the
/// other replica, must never be refused. The settle that gives the lease back used to be sent after the answer's last
/// byte, so the client's next request on the other replica could reach Redis first and find the lease still held (a
/// false 429, seen once in CI under load). Here one replica reaches Redis 300 ms late, which made that race certain:
/// now the answer of a request holding a lease ends only once its settle has run (JSON answers without a
/// <c>Content-Length</c>, their end the chunked body's end), so the next request finds the lease back — every time.
/// </summary>
public sealed class ParallelLeaseAcrossReplicasTests(TestServers servers)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OneRequestAtATimeAlternatingBetweenReplicasIsNeverRefusedWhenOneReachesRedisLate()
    {
        await using var upstream = await FakeProviderServer.StartAsync(Ct);
        using var config = new GatewayConfigFile(RedisFreezeTests.PricedModelYaml(upstream));
        var database = await servers.CreateDatabaseAsync();
        await using var redis = await TestServers.StartOwnRedisAsync();
        await using var slow = DelayingTcpProxy.Start("127.0.0.1", redis.Port, TimeSpan.FromMilliseconds(300));
        await using var far = await GatewayApiHost.StartAsync(database,
            $"127.0.0.1:{slow.Port},abortConnect=false,connectTimeout=5000,syncTimeout=5000,asyncTimeout=5000", config.Settings());
        await using var near = await GatewayApiHost.StartAsync(database, redis.ConnectionString, config.Settings());
        using var admin = near.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "parallel-far-team" }, new { max_parallel_requests = 1 }, Ct);
        using var toFar = far.CreateLoopbackClient();
        using var toNear = near.CreateLoopbackClient();

        var answers = new List<(string Kind, HttpStatusCode First, HttpStatusCode Next, bool? Chunked, string Body)>();
        foreach (var stream in new[] { false, true, false, true })
        {
            // The far replica's settle reaches Redis 300 ms after it is sent; the near one's admission at once.
            using var first = await toFar.SendAsync(Chat(key, stream), Ct);
            var body = await first.Content.ReadAsStringAsync(Ct);
            using var next = await toNear.SendAsync(Chat(key, stream), Ct);
            answers.Add((stream ? "stream" : "json", first.StatusCode, next.StatusCode, first.Headers.TransferEncodingChunked, body));
        }

        Assert.All(answers, a => Assert.Equal((a.Kind, HttpStatusCode.OK, HttpStatusCode.OK), (a.Kind, a.First, a.Next)));
        Assert.All(answers, a => Assert.Contains(a.Kind == "stream" ? "[DONE]" : "chat.completion", a.Body, StringComparison.Ordinal));
        // An answer holding a lease ends with its chunked body (after the settle), not at a Content-Length.
        Assert.All(answers, a => Assert.True(a.Chunked, a.Kind));
    }

    [Fact]
    public async Task AnAnswerWithoutALeaseKeepsItsContentLength()
    {
        await using var upstream = await FakeProviderServer.StartAsync(Ct);
        using var config = new GatewayConfigFile(RedisFreezeTests.PricedModelYaml(upstream));
        await using var api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(), config.Settings());
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "no-parallel-team" }, new { rpm_limit = 100 }, Ct);
        using var client = api.CreateLoopbackClient();

        using var response = await client.SendAsync(Chat(key, stream: false), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(true, response.Headers.TransferEncodingChunked);
    }

    private static HttpRequestMessage Chat(string key, bool stream) => new(HttpMethod.Post, "/v1/chat/completions")
    {
        Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
        Content = new StringContent(
            $$"""{"model":"gpt-test","max_tokens":20,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hello"}]}""",
            Encoding.UTF8, "application/json"),
    };
}
