using System.Net;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Routing;

public sealed class HealthCheckTests(TestServers servers) : RoutingTestBase(servers)
{
    [Fact]
    public async Task HealthChecksOnTwentyDeploymentsRunAtMostFourAtATimeWithMaxTokensOne()
    {
        await using var upstream = await ConcurrencyCountingServer.StartAsync(TimeSpan.FromMilliseconds(200), Timeout);
        var yaml = "model_list:\n" + string.Concat(Enumerable.Range(0, 20).Select(i => $"""
              - model_name: "group-{i % 5}"
                litellm_params:
                  model: "openai/model-{i}"
                  api_key: "sk-fake-provider-key"
                  api_base: "{upstream.OpenAiBase}"
                model_info:
                  id: "dep-{i}-{Run}"

            """)) + Settings("");
        var api = await StartApiAsync(yaml);

        using var response = await Client(api).GetAsync("/health", Timeout);
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(20, (int)body["healthy_count"]!);
        Assert.Equal(0, (int)body["unhealthy_count"]!);
        Assert.Equal(20, body["healthy_endpoints"]!.AsArray().Count);
        Assert.Equal("openai/model-0", (string?)body["healthy_endpoints"]![0]!["model"]);
        Assert.Equal(upstream.OpenAiBase + "/", (string?)body["healthy_endpoints"]![0]!["api_base"]);
        Assert.Equal(20, upstream.Bodies.Count);
        Assert.All(upstream.Bodies, b => Assert.Equal(1, (int)JsonNode.Parse(b)!["max_tokens"]!));
        Assert.InRange(upstream.MaxInFlight, 1, 4);
    }

    [Fact]
    public async Task HealthNeedsTheMasterKeyAndAnswersInTheOpenAiEnvelope()
    {
        var api = await StartApiAsync(TwoDeployments());
        using var client = api.CreateLoopbackClient("sk-not-the-master-key");

        using var response = await client.GetAsync("/health", Timeout);
        using var modelInfo = await api.CreateLoopbackClient().GetAsync("/model/info", Timeout);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", (string?)(await JsonAsync(response))["error"]!["code"]);
        Assert.Equal(HttpStatusCode.Unauthorized, modelInfo.StatusCode);
        Assert.Equal(0, Primary.RequestCount);
    }

    [Fact]
    public async Task UnhealthyDeploymentLeavesRoutingUntilAProbeSucceeds()
    {
        var api = await StartApiAsync(TwoDeployments());
        using var client = Client(api);
        Primary.Default = FakeResponse.Error(500, "down for maintenance");

        using var health = await client.GetAsync("/health", Timeout);
        var report = await JsonAsync(health);
        Primary.Default = FakeResponse.Ok;
        using var whileUnhealthy = await ChatAsync(client);
        using var probeAgain = await client.GetAsync("/health", Timeout);
        using var afterRecovery = await ChatAsync(client);

        Assert.Equal(1, (int)report["unhealthy_count"]!);
        Assert.Contains("down for maintenance", (string?)report["unhealthy_endpoints"]![0]!["error"]);
        Assert.Equal(BackupId, Header(whileUnhealthy, "x-gateway-deployment"));
        Assert.Equal(2, (int)(await JsonAsync(probeAgain))["healthy_count"]!);
        Assert.Equal(PrimaryId, Header(afterRecovery, "x-gateway-deployment"));
    }

    [Fact]
    public async Task ModelInfoShowsEachDeploymentsHealthAndNeverItsApiKey()
    {
        var api = await StartApiAsync(TwoDeployments(primaryInfo: "input_cost_per_token: 0.000003\nmax_input_tokens: 1000"));
        using var client = Client(api);
        Primary.Default = FakeResponse.Error(429);
        using (await ChatAsync(client))
        {
        }

        using var response = await client.GetAsync("/model/info", Timeout);
        var text = await response.Content.ReadAsStringAsync(Timeout);
        var data = JsonNode.Parse(text)!["data"]!.AsArray();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("sk-fake-provider-key", text, StringComparison.Ordinal);
        Assert.DoesNotContain("api_key", text, StringComparison.Ordinal);
        var primary = data.Single(d => (string?)d!["model_info"]!["id"] == PrimaryId)!;
        Assert.Equal("chat", (string?)primary["model_name"]);
        Assert.Equal($"openai/model-{PrimaryId}", (string?)primary["litellm_params"]!["model"]);
        Assert.Equal(0.000003m, (decimal)primary["model_info"]!["input_cost_per_token"]!);
        Assert.Equal(1000, (int)primary["model_info"]!["max_input_tokens"]!);
        Assert.Equal("cooled_down", (string?)primary["model_info"]!["health"]!["state"]);
        Assert.NotNull(primary["model_info"]!["health"]!["cooled_down_until"]);
        var backup = data.Single(d => (string?)d!["model_info"]!["id"] == BackupId)!;
        Assert.Equal("healthy", (string?)backup["model_info"]!["health"]!["state"]);
        Assert.NotNull(backup["model_info"]!["health"]!["latency_ms"]);
    }
}
