using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using StackExchange.Redis;

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

    /// <summary>
    /// A Redis at its <c>maxmemory</c> under <c>noeviction</c> (docs/security.md: the policy that keeps limits exact) refuses
    /// every write with an OOM error. The gateway must treat that as Redis being unreachable, never as a 500: a governed
    /// request is admitted by the per-replica limits (fail open, the default) and answered, and its usage event is written to
    /// Postgres directly — a ledger row for each.
    /// </summary>
    [Fact]
    public async Task AFullRedisThatRefusesWritesIsAnOutageNotAnError()
    {
        var redis = await TestServers.StartOwnRedisAsync();
        await using var _ = redis;
        var file = Path.Combine(Path.GetTempPath(), $"llmgw-routing-fullredis-{Run}.yaml");
        await File.WriteAllTextAsync(file, TwoDeployments(), Timeout);
        await using var api = await GatewayApiHost.StartAsync(await Servers.CreateDatabaseAsync(), redis.ConnectionString,
            new Dictionary<string, string?> { ["Gateway:ConfigFile"] = file });
        using var admin = Client(api);
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = $"full-redis-{Run}" },
            new { rpm_limit = 100, tpm_limit = 100_000 }, Timeout);
        Assert.Equal(HttpStatusCode.OK, await KeyChatAsync(api, key));

        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = mux.GetDatabase();
        var used = long.Parse(((string)(await db.ExecuteAsync("INFO", "memory"))!).Split("\r\n")
            .Single(line => line.StartsWith("used_memory:", StringComparison.Ordinal))["used_memory:".Length..]);
        await db.ExecuteAsync("CONFIG", "SET", "maxmemory-policy", "noeviction");
        await db.ExecuteAsync("CONFIG", "SET", "maxmemory", (used + 256 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var full = false;
        for (var i = 0; i < 10_000 && !full; i++)
        {
            try
            {
                await db.StringSetAsync($"filler:{i}", new string('x', 4096));
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("OOM", StringComparison.Ordinal))
            {
                full = true;
            }
        }

        Assert.True(full, "Redis never refused a write");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
            statuses.Add(await KeyChatAsync(api, key));
        await db.ExecuteAsync("CONFIG", "SET", "maxmemory", "0");

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        var rows = Array.Empty<JsonElement>();
        await LocalProcess.WaitUntilAsync(async () =>
        {
            rows = await admin.GetFromJsonAsync<JsonElement[]>($"/spend/logs?api_key={Uri.EscapeDataString(key)}", Timeout) ?? [];
            return rows.Length >= 6;
        }, TimeSpan.FromSeconds(30), "a ledger row for each of the six requests");
        Assert.Equal(6, rows.Count(row => row.GetProperty("status").GetString() == "success"));
        File.Delete(file);
    }

    private async Task<HttpStatusCode> KeyChatAsync(GatewayApiHost api, string key)
    {
        using var client = api.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
            Content = new StringContent("""{"model":"chat","messages":[{"role":"user","content":"hello"}],"max_tokens":10}""", Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request, Timeout);
        return response.StatusCode;
    }
}
