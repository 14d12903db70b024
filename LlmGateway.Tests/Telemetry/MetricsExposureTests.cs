using System.Net;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Telemetry;

/// <summary>
/// Per-team spend and budgets are not public: without a scrape token <c>/metrics</c> is public and carries no per-team
/// series; with one, it answers 401 to anyone without the token and the per-team series are there for who has it.
/// </summary>
public sealed class MetricsExposureTests(TestServers servers)
{
    private const string Token = "scrape-token-0123456789";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithoutAScrapeTokenMetricsIsPublicButHasNoPerTeamSeries()
    {
        await using var gateway = await TelemetryGateway.StartUpstreamAsync();
        var api = await gateway.StartApiAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(),
            ("Gateway:BudgetGaugeRefresh", "00:00:00.200"));
        var teamId = await SpendAsync(api, "public-metrics");

        // Wait until this request is counted (its model group's series), then look for the team anywhere.
        var metrics = await ScrapeUntilAsync(api.CreateLoopbackClient(), text => text.Contains("llmgateway_cost_USD_total", StringComparison.Ordinal));
        await Task.Delay(TimeSpan.FromSeconds(1), Ct); // a budget gauge refresh (200 ms) has come and gone
        metrics = await ScrapeUntilAsync(api.CreateLoopbackClient(), _ => true);
        Assert.Contains($"gen_ai_request_model=\"{TelemetryGateway.Model}\"", metrics);
        Assert.DoesNotContain(teamId, metrics);
        Assert.DoesNotContain("llmgateway_team_id", metrics);
        Assert.DoesNotContain("team=\"", metrics);
        Assert.DoesNotContain("llmgateway_budget_remaining", metrics);
    }

    [Fact]
    public async Task WithAScrapeTokenMetricsRefusesOthersAndShowsPerTeamSeriesToItsHolder()
    {
        await using var gateway = await TelemetryGateway.StartUpstreamAsync();
        var api = await gateway.StartApiAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(),
            ("Gateway:BudgetGaugeRefresh", "00:00:00.200"), ("Gateway:Metrics:ScrapeToken", Token));
        var teamId = await SpendAsync(api, "private-metrics");

        foreach (var bearer in new[] { null, "wrong-token", GatewayApiHost.MasterKey })
        {
            using var refused = await api.CreateLoopbackClient(bearer).GetAsync("/metrics", Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.DoesNotContain(teamId, await refused.Content.ReadAsStringAsync(Ct));
        }

        using var trailingSlash = await api.CreateLoopbackClient().GetAsync("/metrics/", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, trailingSlash.StatusCode);

        var metrics = await ScrapeUntilAsync(api.CreateLoopbackClient(Token),
            text => text.Contains($"llmgateway_team_id=\"{teamId}\"", StringComparison.Ordinal)
                && text.Contains("llmgateway_budget_remaining_USD", StringComparison.Ordinal));
        Assert.Contains("llmgateway_cost_USD_total", metrics);
    }

    /// <summary>A team with a budget spends through a key; returns the team id.</summary>
    private static async Task<string> SpendAsync(GatewayApiHost api, string alias)
    {
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (teamId, key) = await TelemetryGateway.CreateTeamAndKeyAsync(admin, new { team_alias = alias, max_budget = 5 });
        using var client = api.CreateLoopbackClient();
        using var response = await client.SendAsync(TelemetryGateway.Chat(key, stream: false), Ct);
        response.EnsureSuccessStatusCode();
        return teamId;
    }

    private static async Task<string> ScrapeUntilAsync(HttpClient client, Func<string, bool> done)
    {
        using (client)
        {
            var text = "";
            await LocalProcess.WaitUntilAsync(async () =>
            {
                using var scrape = await client.GetAsync("/metrics", Ct);
                text = await scrape.Content.ReadAsStringAsync(Ct);
                return scrape.StatusCode == HttpStatusCode.OK && done(text);
            }, TimeSpan.FromSeconds(20), "the expected /metrics");
            return text;
        }
    }
}
