using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Limits;

/// <summary>Redis unreachable: fail open with per-replica limits (default), or fail closed with a clear 503 — never a hang or a mislabelled 429.</summary>
public sealed class RedisOutageLimitTests(TestServers servers)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithRedisDownRequestsAreServedOrRefusedByPolicyWithinABound(bool failClosed)
    {
        await using var upstream = await FakeProviderServer.StartAsync(Ct);
        upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };
        using var config = new GatewayConfigFile($"""
            model_list:
              - model_name: "{GovernanceFixture.Model}"
                litellm_params:
                  model: "openai/gpt-test"
                  api_base: "{upstream.OpenAiBase}"
                model_info:
                  input_cost_per_token: 0
                  output_cost_per_token: 0.0001
            """);
        await using var redis = await TestServers.StartOwnRedisAsync();
        await using var api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), redis.ConnectionString,
            config.Settings(("Gateway:Limits:FailClosed", failClosed ? "true" : "false")));
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "outage-team", max_budget = 10 }, new { rpm_limit = 5 }, Ct);
        using var client = api.CreateLoopbackClient();
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(GovernanceFixture.Chat(key), Ct)).StatusCode); // key cached, counters seeded

        await redis.StopAsync();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            using var response = await client.SendAsync(GovernanceFixture.Chat(key), Ct);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"request {i} took {started.Elapsed}");
            statuses.Add(response.StatusCode);
            var body = await response.Content.ReadAsStringAsync(Ct);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.Contains("limits_unavailable", body);
            }
            else if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Contains("rate_limit_exceeded", body); // the key's own rpm, counted on this replica
            }
        }

        if (failClosed)
        {
            Assert.All(statuses, s => Assert.Equal(HttpStatusCode.ServiceUnavailable, s));
        }
        else
        {
            // rpm 5 counted afresh on this replica during the outage: five admitted, the rest limited.
            Assert.Equal(5, statuses.Count(s => s == HttpStatusCode.OK));
            Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"got {s}"));
        }
    }
}
