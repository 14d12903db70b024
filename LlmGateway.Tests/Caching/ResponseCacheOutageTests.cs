using System.Net;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Caching.CacheCalls;

namespace LlmGateway.Tests.Caching;

/// <summary>An Api whose Redis this class stops: the cache must turn into misses, never into failed requests.</summary>
public sealed class ResponseCacheOutageTests(TestServers servers) : IAsyncLifetime
{
    private FakeProviderServer upstream = null!;
    private RedisServer redis = null!;
    private GatewayConfigFile config = null!;
    private GatewayApiHost api = null!;

    public async ValueTask InitializeAsync()
    {
        upstream = await FakeProviderServer.StartAsync();
        redis = await TestServers.StartOwnRedisAsync();
        config = new GatewayConfigFile(CacheFixture.Yaml(upstream));
        api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), redis.ConnectionString, config.Settings());
    }

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        await redis.DisposeAsync();
        await upstream.DisposeAsync();
        config.Dispose();
    }

    [Fact]
    public async Task WithRedisStoppedRequestsAreStillAnsweredAsMisses()
    {
        var (_, key) = await CacheFixture.CreateTeamAndKeyAsync(api);
        var body = ChatBody(CacheFixture.Gpt, $"outage {Guid.NewGuid():N}");
        await ChatAsync(api, key, body);
        Assert.Equal("hit", (await ChatAsync(api, key, body)).Cache);

        await redis.StopAsync();
        var calls = upstream.RequestCount;
        var answers = new List<CacheAnswer>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await ChatAsync(api, key, body));
            answers.Add(await ChatAsync(api, key, ChatBody(CacheFixture.Gpt, "stream", stream: true)));
        }

        Assert.All(answers, a => Assert.Equal((HttpStatusCode.OK, "miss"), (a.Status, a.Cache)));
        Assert.All(answers, a => Assert.StartsWith("Hello from fake-openai", a.Text));
        Assert.Equal(calls + answers.Count, upstream.RequestCount);
    }
}
