using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: slow Redis down and spend. Each replica used to fall back to local budgets with nothing reserved for requests
/// in flight, its whole remaining headroom each, and counters dropped on recovery. Now a replica admits at most its share
/// (remaining ÷ replicas) of what Redis last reported, reserving worst cases, and its settles reach Redis exactly once.
/// </summary>
public sealed class RedisOutageBudgetTests(TestServers servers)
{
    private const decimal Budget = 1.00m;
    private const decimal CallCost = 0.01m;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <param name="leases">With leased admission (docs/governance.md): leases out when Redis froze are given back after it.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TwoReplicasDuringAnOutageSpendNoMoreThanTheDocumentedBoundAndRecoveryCountsEachRequestOnce(bool leases)
    {
        await using var upstream = await FakeProviderServer.StartAsync(Ct);
        upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100, DelayBeforeHeaders = TimeSpan.FromMilliseconds(20) };
        using var config = new GatewayConfigFile(RedisFreezeTests.PricedModelYaml(upstream));
        var database = await servers.CreateDatabaseAsync();
        await using var redis = await TestServers.StartOwnRedisAsync();
        var settings = config.Settings(("Gateway:Limits:ReplicaHeartbeat", "00:00:00.200"), ("Gateway:Limits:Leases", leases ? "true" : "false"));
        // (each replica its own spool folder)
        await using var api = await GatewayApiHost.StartAsync(database, redis.ConnectionString, settings);
        await using var replica = await GatewayApiHost.StartAsync(database, redis.ConnectionString, settings);
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (teamId, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "outage-budget", max_budget = Budget }, ct: Ct);
        await using var watcher = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = watcher.GetDatabase();
        await LocalProcess.WaitUntilAsync(async () => await db.SortedSetLengthAsync("llmgateway:replicas") == 2, TimeSpan.FromSeconds(30), "two replicas");
        await Task.Delay(TimeSpan.FromSeconds(1), Ct); // both have counted each other

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        for (var i = 0; i < 40; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(http, i % 2 == 0 ? api : replica, key));
        }

        // What each replica last heard from Redis (spent + reserved after its own last admission): $0.39 and $0.40; with
        // leases at least that. And what Redis counted when it went away (U*): $0.40 spent, and with leases the
        // reservations of the leases out then (the documented bound's U* − min Uᵣ: a lease granted after another
        // replica's last word, which that replica's outage share does not know of).
        var lastKnown = new[] { 0.39m, 0.40m };
        var team = $"llmgateway:{{t:{teamId}}}:team:{teamId}";
        var atOutage = leases
            ? ((long)await db.StringGetAsync($"{team}:spent:0") + (long)await db.StringGetAsync($"{team}:reserved:0")) / 1_000_000_000m
            : 0.40m;
        var outage = new List<HttpStatusCode>();
        await redis.FreezeAsync();
        try
        {
            for (var round = 0; round < 16; round++)
            {
                outage.AddRange(await Task.WhenAll(Enumerable.Range(0, 10).Select(i => SendAsync(http, i % 2 == 0 ? api : replica, key))));
            }
        }
        finally
        {
            await redis.ThawAsync();
        }

        Assert.All(outage, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"got {s}"));
        // The documented bound: spend ≤ U* + Σ share × (budget − last known), share = 1/2.
        var bound = atOutage + lastKnown.Sum(known => Math.Floor((Budget - known) / 2 / CallCost) * CallCost);
        var admitted = outage.Count(s => s == HttpStatusCode.OK);
        Assert.True(0.40m + admitted * CallCost <= bound, $"{admitted} admitted during the outage; bound ${bound}");
        // Each replica's share of what it last heard (with leases: less what they held, so fewer).
        Assert.True(admitted >= (leases ? 30 : 50), $"only {admitted} admitted: the outage should still serve each replica's share");

        var total = 40 + outage.Count;
        await RedisFreezeTests.WaitForLedgerRowsAsync(database, teamId, total);
        var ledgerNanos = await RedisFreezeTests.LedgerAsync(database, teamId, "sum(spend) * 1000000000");
        await LocalProcess.WaitUntilAsync(async () => (long)await db.StringGetAsync($"{team}:spent:0") == ledgerNanos,
            TimeSpan.FromSeconds(30), $"the Redis counter to carry the outage's spend exactly once (ledger {ledgerNanos})");
        await LocalProcess.WaitUntilAsync(async () => (long)await db.StringGetAsync($"{team}:reserved:0") == 0,
            TimeSpan.FromSeconds(10), "every reservation (and lease) of the outage given back");
        Assert.True(ledgerNanos <= bound * 1_000_000_000m);

        // Settled twice over? Another heartbeat's replay must not count anything again.
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.Equal(ledgerNanos, (long)await db.StringGetAsync($"{team}:spent:0"));
        Assert.Equal(0, (long)await db.StringGetAsync($"{team}:reserved:0"));
        if (leases && ledgerNanos + CallCost * 1_000_000_000m <= Budget * 1_000_000_000m)
        {
            return; // the leases' reservations made the replicas' outage shares smaller: the budget is not all spent
        }

        using var after = await http.SendAsync(Chat(api, key), Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, after.StatusCode);
        Assert.Equal("budget_exceeded", (await after.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetProperty("type").GetString());
    }

    private static HttpRequestMessage Chat(GatewayApiHost host, string key) =>
        new(HttpMethod.Post, new Uri(host.BaseAddress, "/v1/chat/completions"))
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = JsonContent.Create(new { model = "gpt-test", max_tokens = 100, messages = new[] { new { role = "user", content = "hi" } } }),
        };

    private static async Task<HttpStatusCode> SendAsync(HttpClient http, GatewayApiHost host, string key)
    {
        using var response = await http.SendAsync(Chat(host, key), Ct);
        await response.Content.ReadAsByteArrayAsync(Ct);
        return response.StatusCode;
    }
}
