using System.Net;
using System.Net.Http.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: slow Redis down instead of stopping it. Frozen with SIGSTOP for 10 s under 20 requests a second, the gateway
/// answered 8–30 of 600 with a 500 (a cancelled Redis command escaped the cache lookup and the routing-state read).
/// Now: a cache read that times out is a miss, a routing-state read uses the local mirror, an admission follows the
/// outage policy — no 5xx, and every request has its ledger row exactly once.
/// </summary>
public sealed class RedisFreezeTests(TestServers servers)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RedisFrozenForTenSecondsUnderLoadGivesNo5xxAndLosesNoUsage()
    {
        await using var upstream = await FakeProviderServer.StartAsync(Ct);
        upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };
        using var config = new GatewayConfigFile(PricedModelYaml(upstream) + """
            litellm_settings:
              cache: true
              cache_params: {type: "redis", ttl: 600}

            """);
        var database = await servers.CreateDatabaseAsync();
        await using var redis = await TestServers.StartOwnRedisAsync();
        // Each replica gets its own spool folder (GatewayApiHost), as in production: two replicas appending to and replaying
        // one spool file raced (a line appended by one to the file the other had just replayed was deleted with it).
        var settings = config.Settings();
        await using var api = await GatewayApiHost.StartAsync(database, redis.ConnectionString, settings);
        await using var replica = await GatewayApiHost.StartAsync(database, redis.ConnectionString, settings);
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (teamId, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "freeze-team", max_budget = 1000 },
            new { max_budget = 1000, rpm_limit = 100_000, tpm_limit = 100_000_000 }, Ct);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        foreach (var host in new[] { api, replica, api, replica })
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(http, host, key, "warm-up")); // each replica has seen the key's budgets
        }

        var sent = new List<Task<HttpStatusCode>>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Task? freeze = null;
        for (var i = 0; clock.Elapsed < TimeSpan.FromSeconds(16); i++)
        {
            if (freeze is null && clock.Elapsed > TimeSpan.FromSeconds(3))
            {
                freeze = FreezeForAsync(redis, TimeSpan.FromSeconds(10));
            }

            // Every other request asks the same question, so the cache is read and hit, not only missed.
            sent.Add(SendAsync(http, i % 2 == 0 ? api : replica, key, i % 2 == 0 ? "the same question" : $"question {i}"));
            // 20 a second on schedule, whatever the timer's granularity on a busy machine.
            var next = TimeSpan.FromMilliseconds(50 * (i + 1)) - clock.Elapsed;
            if (next > TimeSpan.Zero)
            {
                await Task.Delay(next, Ct);
            }
        }

        await freeze!;
        var statuses = await Task.WhenAll(sent);

        Assert.True(statuses.Length >= 250, $"only {statuses.Length} requests were sent");
        Assert.DoesNotContain(statuses, s => (int)s >= 500);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var rows = statuses.Length + 4; // and the warm-up's
        await WaitForLedgerRowsAsync(database, teamId, rows);
        Assert.Equal(rows, await LedgerAsync(database, teamId, "count(DISTINCT request_id)"));
        Assert.Equal(rows, await LedgerAsync(database, teamId, "count(*)"));
    }

    /// <summary>One model, <c>gpt-test</c>, whose calls cost $0.0001 per output token and nothing for input.</summary>
    internal static string PricedModelYaml(FakeProviderServer upstream) => $"""
        model_list:
          - model_name: "gpt-test"
            litellm_params:
              model: "openai/gpt-test"
              api_base: "{upstream.OpenAiBase}"
            model_info:
              input_cost_per_token: 0
              output_cost_per_token: 0.0001
              max_output_tokens: 100

        """;

    private static async Task FreezeForAsync(RedisServer redis, TimeSpan duration)
    {
        await redis.FreezeAsync();
        try
        {
            await Task.Delay(duration, Ct);
        }
        finally
        {
            await redis.ThawAsync();
        }
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient http, GatewayApiHost host, string key, string question)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseAddress, "/v1/chat/completions"))
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = JsonContent.Create(new { model = "gpt-test", max_tokens = 100, messages = new[] { new { role = "user", content = question } } }),
        };
        using var response = await http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} from {host.BaseAddress}: {body}");
        return response.StatusCode;
    }

    /// <summary>Waits until the team has this many ledger rows; the failure says how many arrived.</summary>
    internal static async Task WaitForLedgerRowsAsync(string database, string teamId, long rows)
    {
        var found = 0L;
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && (found = await LedgerAsync(database, teamId, "count(*)")) < rows)
        {
            await Task.Delay(200, Ct);
        }

        Assert.True(found >= rows, $"{found} of {rows} ledger rows after 90 s");
    }

    internal static async Task<long> LedgerAsync(string database, string teamId, string aggregate)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync(Ct);
        await using var command = new Npgsql.NpgsqlCommand($"SELECT coalesce({aggregate}, 0) FROM spend_logs WHERE team_id = @team", connection);
        command.Parameters.AddWithValue("team", teamId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
    }
}
