using System.Diagnostics;
using System.Net;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Routing;

public sealed class RedisOutageTests(TestServers servers) : RoutingTestBase(servers)
{
    [Fact]
    public async Task FailoverAndCooldownKeepWorkingOnLocalStateWhenRedisIsDown()
    {
        var redis = await TestServers.StartOwnRedisAsync();
        await using var _ = redis;
        var file = Path.Combine(Path.GetTempPath(), $"llmgw-routing-redis-{Run}.yaml");
        await File.WriteAllTextAsync(file, TwoDeployments("litellm_settings:\n  cooldown_time: 60", primary: "rpm: 100"), Timeout);
        await using var api = await GatewayApiHost.StartAsync(await Servers.CreateDatabaseAsync(), redis.ConnectionString,
            new Dictionary<string, string?> { ["Gateway:ConfigFile"] = file });
        await redis.StopAsync();
        Primary.Default = FakeResponse.Error(503);
        using var client = Client(api);
        var watch = Stopwatch.StartNew();

        using var first = await ChatAsync(client);
        using var second = await ChatAsync(client);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(BackupId, Header(first, "x-gateway-deployment"));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("1", Header(second, "x-gateway-attempts"));
        Assert.Equal(1, Primary.RequestCount);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        File.Delete(file);
    }
}
