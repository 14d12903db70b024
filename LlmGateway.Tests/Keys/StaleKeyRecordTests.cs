using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Keys;

/// <summary>
/// While Postgres is down a cached key record is served past its TTL only for the configured grace; then the key's
/// requests get a 503 in their own envelope (no upstream call) until Postgres answers again — so a key blocked while
/// this replica missed the message cannot keep working for the whole outage.
/// </summary>
public sealed class StaleKeyRecordTests(TestServers servers)
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithPostgresDownACachedKeyIsServedForTheGraceThenRefusedWith503UntilPostgresIsBack()
    {
        await using var postgres = await TestServers.StartOwnPostgresAsync();
        await using var fake = await FakeProviderServer.StartAsync(Ct);
        using var config = new GatewayConfigFile($"""
            model_list:
              - model_name: "stale-gpt"
                litellm_params:
                  model: "openai/stale-gpt"
                  api_base: "{fake.OpenAiBase}"
                  api_key: "sk-upstream-openai"
              - model_name: "stale-claude"
                litellm_params:
                  model: "anthropic/stale-claude"
                  api_base: "{fake.AnthropicBase}"
                  api_key: "sk-upstream-anthropic"
            general_settings:
              health_check_interval: 3600
            """);
        var dataDirectory = Spend.SpendTestData.NewDataDirectory();
        await using var api = await GatewayApiHost.StartAsync(await postgres.CreateDatabaseAsync("stale_keys"), await servers.CreateRedisAsync(),
            config.Settings([.. Spend.SpendTestData.Settings(dataDirectory,
                ("Gateway:Keys:CacheTtlSeconds", "1"),
                ("Gateway:Keys:StaleGraceSeconds", Grace.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                .Select(s => (s.Key, s.Value))]));
        try
        {
            using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
            var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "stale" }, null, Ct);
            using var client = api.CreateLoopbackClient(key);

            // Two requests a TTL apart: the second refreshes the record from Postgres, so it was confirmed just now.
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, "/v1/chat/completions"));
            await Task.Delay(TimeSpan.FromSeconds(1.2), Ct);
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, "/v1/chat/completions"));
            await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);
            var confirmed = Stopwatch.StartNew();

            await postgres.StopAsync();
            if (confirmed.Elapsed < Grace / 2)
            {
                Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, "/v1/chat/completions")); // within the grace
            }

            // Past TTL + grace the key is refused in each client's envelope, without an upstream call.
            await LocalProcess.WaitUntilAsync(async () => await StatusAsync(client, "/v1/chat/completions") == HttpStatusCode.ServiceUnavailable,
                TimeSpan.FromSeconds(90), "the 503 once the grace is over");
            Assert.True(confirmed.Elapsed > Grace, $"refused {confirmed.Elapsed.TotalSeconds:0.0} s after the last confirmation");
            var upstreamCalls = fake.RequestCount;

            using var openAi = await client.PostAsJsonAsync("/v1/chat/completions", Body("stale-gpt"), Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, openAi.StatusCode);
            Assert.True(openAi.Headers.RetryAfter is not null);
            var openAiError = (await openAi.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error");
            Assert.Equal("key_check_unavailable", openAiError.GetProperty("code").GetString());

            using var anthropic = await client.PostAsJsonAsync("/v1/messages", Body("stale-claude", maxTokens: 50), Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, anthropic.StatusCode);
            var anthropicBody = await anthropic.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal("error", anthropicBody.GetProperty("type").GetString());
            Assert.Equal("overloaded_error", anthropicBody.GetProperty("error").GetProperty("type").GetString());
            Assert.Equal(upstreamCalls, fake.RequestCount);

            // Postgres back: the key is confirmed and served again.
            await Spend.SpendTestData.RestartAsync(postgres);
            await LocalProcess.WaitUntilAsync(async () => await StatusAsync(client, "/v1/chat/completions") == HttpStatusCode.OK,
                TimeSpan.FromSeconds(60), "the key served again once Postgres is back");
        }
        finally
        {
            Spend.SpendTestData.DeleteDirectory(dataDirectory);
        }
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path)
    {
        using var response = await client.PostAsJsonAsync(path, Body("stale-gpt"), Ct);
        return response.StatusCode;
    }

    private static object Body(string model, int? maxTokens = null) => maxTokens is { } max
        ? new { model, max_tokens = max, messages = new[] { new { role = "user", content = "hello" } } }
        : new { model, messages = new[] { new { role = "user", content = "hello" } } };
}
