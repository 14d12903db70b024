using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Telemetry;

/// <summary>reliability-tests.md, "Durability", scaled to a 2-core machine: real requests through the gateway while a store is down.</summary>
public sealed class UsageDurabilityTests(TestServers servers)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RequestBound = TimeSpan.FromSeconds(3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithPostgresStoppedUnderLoadNoRequestFailsAndEveryUsageRowLandsOnceAfterItReturns()
    {
        await using var postgres = await TestServers.StartOwnPostgresAsync();
        var database = await postgres.CreateDatabaseAsync("gateway");
        await using var gateway = await TelemetryGateway.StartUpstreamAsync();
        var api = await gateway.StartApiAsync(database, await servers.CreateRedisAsync());
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await TelemetryGateway.CreateTeamAndKeyAsync(admin);
        using var client = api.CreateLoopbackClient();
        var warmUp = await UsageLoad.RunAsync(client, key, rps: 2, TimeSpan.FromSeconds(1), RequestBound);
        await WaitForRowsAsync(database, warmUp.Count, TimeSpan.FromSeconds(10));
        await CheckpointAsync(database);

        await postgres.StopAsync();
        var during = await UsageLoad.RunAsync(client, key, rps: 5, Outage, RequestBound);
        await RestartAsync(postgres);

        UsageLoad.AssertAllServed([.. warmUp, .. during]);
        await UsageLoad.AssertLedgerHoldsEachOnceAsync(database, [.. warmUp, .. during], others: 0, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task WithRedisStoppedUnderLoadRequestsAreServedPromptlyWithoutFalse429sAndNoUsageIsLost()
    {
        await using var redis = await TestServers.StartOwnRedisAsync();
        var database = await servers.CreateDatabaseAsync();
        await using var gateway = await TelemetryGateway.StartUpstreamAsync();
        var api = await gateway.StartApiAsync(database, redis.ConnectionString);
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await TelemetryGateway.CreateTeamAndKeyAsync(admin, key: new { rpm_limit = 100_000, max_budget = 1_000 });
        using var client = api.CreateLoopbackClient();
        var warmUp = await UsageLoad.RunAsync(client, key, rps: 2, TimeSpan.FromSeconds(1), RequestBound);
        // This test Redis keeps nothing on disk: events it held when killed would be lost with it (docs/spend.md: run Redis with AOF).
        await WaitForRowsAsync(database, warmUp.Count, TimeSpan.FromSeconds(10));

        await redis.StopAsync();
        var during = await UsageLoad.RunAsync(client, key, rps: 10, Outage, RequestBound);
        await redis.StartAsync();

        UsageLoad.AssertAllServed([.. warmUp, .. during]); // fail-open: no 5xx, no 429, each within the bound
        Assert.True(during.Max(r => r.Took) < RequestBound, $"slowest {during.Max(r => r.Took)}");
        await UsageLoad.AssertLedgerHoldsEachOnceAsync(database, [.. warmUp, .. during], others: 0, TimeSpan.FromSeconds(30));
    }
}
