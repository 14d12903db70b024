using System.Net;
using System.Net.Http.Json;
using LlmGateway.Api.Limits;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: slow Redis down while answers are being settled. A frozen Redis runs on resume what it was sent, so a settle
/// whose answer timed out may have run after all, and the gateway sends it again after the outage. Under a budget the
/// second run finds no live reservation and does nothing; under a tpm limit alone nothing told, and the replay corrected
/// the minute's token count a second time — from the estimate down to below what was used, room a client could spend
/// twice. Now a replay without a budget carries no correction: the minute keeps at least what was used.
/// </summary>
public sealed class ReplayedSettleTests(TestServers servers)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ASettleThatRanLateAndWasSentAgainCorrectsATokenCountOnce()
    {
        await using var upstream = await FakeProviderServer.StartAsync(Ct);
        upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 5, DelayBeforeHeaders = TimeSpan.FromMilliseconds(500) };
        using var config = new GatewayConfigFile(RedisFreezeTests.PricedModelYaml(upstream));
        var database = await servers.CreateDatabaseAsync();
        await using var redis = await TestServers.StartOwnRedisAsync();
        // Leases off: the one request's admission and settle are the only writes to the minute's token count.
        await using var api = await GatewayApiHost.StartAsync(database, redis.ConnectionString, config.Settings(("Gateway:Limits:Leases", "false")));
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (teamId, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "replayed-settle", tpm_limit = 1_000_000 }, ct: Ct);
        await using var watcher = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var tpm = (RedisKey)$"llmgateway:{{t:{teamId}}}:team:{teamId}:tpm";
        var replay = api.Services.GetRequiredService<OutageReplay>();
        using var client = api.CreateLoopbackClient();

        // Redis freezes while the request is upstream: its admission counted the estimate, its settle meets a frozen Redis.
        var before = upstream.RequestCount;
        var answer = client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = JsonContent.Create(new { model = "gpt-test", max_tokens = 100, messages = new[] { new { role = "user", content = "hello" } } }),
        }, Ct);
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(upstream.RequestCount > before), TimeSpan.FromSeconds(10), "the request upstream");
        var estimate = await CountedAsync(watcher, tpm);
        Assert.True(estimate >= 100, $"the admission counted {estimate} tokens");
        await redis.FreezeAsync();
        try
        {
            using var response = await answer;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await LocalProcess.WaitUntilAsync(() => Task.FromResult(!replay.IsEmpty), TimeSpan.FromSeconds(15), "the unanswered settle queued to be sent again");
        }
        finally
        {
            await redis.ThawAsync();
        }

        // On resume Redis runs the settle it was sent (15 tokens used: corrected once), then the gateway sends it again.
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(replay.IsEmpty), TimeSpan.FromSeconds(30), "the settle sent again");
        await LocalProcess.WaitUntilAsync(async () => await CountedAsync(watcher, tpm) != estimate, TimeSpan.FromSeconds(10), "the late settle run");
        Assert.Equal(15, await CountedAsync(watcher, tpm));
    }

    /// <summary>The tokens counted in every minute of a tpm hash.</summary>
    private static async Task<long> CountedAsync(ConnectionMultiplexer redis, RedisKey tpm) =>
        (await redis.GetDatabase().HashGetAllAsync(tpm)).Sum(entry => (long)entry.Value);
}
