using System.Net;
using System.Net.Http.Json;
using LlmGateway.Api.Keys;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace LlmGateway.Tests.Keys;

/// <summary>
/// A flood of wrong keys: answered 401 without a Postgres round trip per request (the directory of known keys and
/// the bounded negative cache), recorded in the ledger as sampled rows, and limited per client IP with a 429.
/// </summary>
public sealed class WrongKeyFloodTests(WrongKeyFixture fixture) : IClassFixture<WrongKeyFixture>
{
    private const int Flood = 2000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoThousandWrongKeysCostABoundedNumberOfKeyLookupsAndLedgerRows()
    {
        var (_, valid) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "flood-team" });
        var cache = fixture.Api.Services.GetRequiredService<KeyCache>();
        await WaitUntilAsync(() => cache.Directory.Loaded);
        var rowsBefore = await RefusedRowsAsync();
        fixture.Lookups.Reset();

        using var client = fixture.Api.CreateLoopbackClient();
        var started = DateTime.UtcNow;
        var statuses = await SendAllAsync(client, Enumerable.Range(0, Flood).Select(i => $"sk-wrong-{i:D5}-{Guid.NewGuid():N}"));
        var seconds = (DateTime.UtcNow - started).TotalSeconds;

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        // One lookup per second of unknown keys (the fixture's rate) plus its burst, not one per request.
        Assert.InRange(fixture.Lookups.Count, 0, 2 + (int)Math.Ceiling(seconds));
        Assert.InRange(cache.UnknownCount, 0, WrongKeyFixture.NegativeCacheSize);

        // The valid key still works, and a key issued now works at once on both replicas, flood or not.
        using var ok = await client.SendAsync(GovernanceFixture.Chat(valid, WrongKeyFixture.Model), Ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var (_, fresh) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "fresh-team" });
        using var freshHere = await client.SendAsync(GovernanceFixture.Chat(fresh, WrongKeyFixture.Model), Ct);
        Assert.Equal(HttpStatusCode.OK, freshHere.StatusCode);

        var rows = await StableRefusedRowsAsync(rowsBefore);
        Assert.InRange(rows - rowsBefore, 1, 2); // one sampled row a minute (two if the flood crossed a minute)
    }

    [Fact]
    public async Task AnAddressPastItsFailuresGets429WithRetryAfterButCachedKeysStillPass()
    {
        var (_, valid) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "throttle-team" });
        using var client = fixture.Throttled.CreateLoopbackClient();
        using (var warm = await client.SendAsync(GovernanceFixture.Chat(valid, WrongKeyFixture.Model), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode); // cached on this replica from now on
        }

        // One request at a time (concurrent ones may overshoot by how many are in flight), within one minute window.
        if (DateTime.UtcNow.Second > 50)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second), Ct);
        }

        var statuses = await SendAllAsync(client, Enumerable.Range(0, WrongKeyFixture.FailuresPerMinute + 5).Select(i => $"sk-bad-{i}"), parallel: 1);
        Assert.Equal(WrongKeyFixture.FailuresPerMinute, statuses.Count(s => s == HttpStatusCode.Unauthorized));

        using var refused = await client.SendAsync(GovernanceFixture.Chat("sk-bad-again", WrongKeyFixture.Model), Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Contains("too_many_auth_failures", await refused.Content.ReadAsStringAsync(Ct));

        using var cached = await client.SendAsync(GovernanceFixture.Chat(valid, WrongKeyFixture.Model), Ct);
        Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
    }

    [Fact]
    public void TheNegativeCacheForgetsTheLeastRecentlyUsedBeyondItsSize()
    {
        var now = DateTimeOffset.UtcNow;
        var cache = new NegativeKeyCache(3, TimeSpan.FromMinutes(1));
        foreach (var hash in new[] { "a", "b", "c" })
        {
            cache.Add(hash, now);
        }

        Assert.True(cache.Contains("a", now)); // a is now the most recently used
        cache.Add("d", now);

        Assert.Equal(3, cache.Count);
        Assert.False(cache.Contains("b", now));
        Assert.True(cache.Contains("a", now));
        Assert.False(cache.Contains("a", now + TimeSpan.FromMinutes(2)));
    }

    private static async Task<HttpStatusCode[]> SendAllAsync(HttpClient client, IEnumerable<string> keys, int parallel = 8)
    {
        var statuses = new List<HttpStatusCode>();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = Ct }, async (key, ct) =>
        {
            using var response = await client.SendAsync(GovernanceFixture.Chat(key, WrongKeyFixture.Model), ct);
            lock (statuses)
            {
                statuses.Add(response.StatusCode);
            }
        });
        return [.. statuses];
    }

    private async Task<long> RefusedRowsAsync()
    {
        await using var connection = new NpgsqlConnection(fixture.DatabaseConnection);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM spend_logs WHERE status_code = 401", connection);
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }

    /// <summary>The refused rows once the ledger writer has caught up: more than before, and unchanged for two seconds.</summary>
    private async Task<long> StableRefusedRowsAsync(long before)
    {
        var last = -1L;
        var stableSince = DateTime.UtcNow;
        while (true)
        {
            var rows = await RefusedRowsAsync();
            if (rows != last)
            {
                (last, stableSince) = (rows, DateTime.UtcNow);
            }
            else if (rows > before && DateTime.UtcNow - stableSince > TimeSpan.FromSeconds(2))
            {
                return rows;
            }

            await Task.Delay(200, Ct);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(50, Ct);
        }
    }
}

/// <summary>Two replicas over one database and Redis: one without the per-IP limit (its key queries counted), one with 20 failures a minute.</summary>
public sealed class WrongKeyFixture(TestServers servers) : IAsyncLifetime
{
    public const string Model = "gpt-test";
    public const int FailuresPerMinute = 20;
    public const int NegativeCacheSize = 500;

    private GatewayConfigFile config = null!;

    public KeyLookupCounter Lookups { get; } = new();
    public FakeProviderServer Upstream { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;
    public GatewayApiHost Throttled { get; private set; } = null!;
    public string DatabaseConnection { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Upstream = await FakeProviderServer.StartAsync();
        config = new GatewayConfigFile($"""
            model_list:
              - model_name: "{Model}"
                litellm_params:
                  model: "openai/gpt-test"
                  api_base: "{Upstream.OpenAiBase}"
                  api_key: "sk-upstream-openai"
            """);
        DatabaseConnection = await servers.CreateDatabaseAsync();
        var redis = await servers.CreateRedisAsync();
        Api = await GatewayApiHost.StartAsync(DatabaseConnection, redis, config.Settings(
                ("Gateway:Auth:FailuresPerIpPerMinute", "0"),
                ("Gateway:Keys:UnknownKeyLookupsPerSecond", "1"),
                ("Gateway:Keys:NegativeCacheSize", NegativeCacheSize.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            services => services.ConfigureDbContext<Api.Data.GatewayDbContext>(options => options.AddInterceptors(Lookups)));
        Throttled = await GatewayApiHost.StartAsync(DatabaseConnection, redis, config.Settings(
            ("Gateway:Auth:FailuresPerIpPerMinute", FailuresPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    public async Task<(string TeamId, string Key)> CreateTeamAndKeyAsync(object team)
    {
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return await ManagementCalls.CreateTeamAndKeyAsync(admin, team, ct: TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await Throttled.DisposeAsync();
        await Api.DisposeAsync();
        await Upstream.DisposeAsync();
        config.Dispose();
    }
}
