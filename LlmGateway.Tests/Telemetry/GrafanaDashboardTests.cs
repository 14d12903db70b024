using System.Text.Json;
using System.Text.RegularExpressions;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Telemetry;

/// <summary><c>deploy/grafana</c>'s dashboard only queries metrics the Api's <c>/metrics</c> really exports (scraped with the token, as <c>deploy/prometheus</c> does).</summary>
public sealed partial class GrafanaDashboardTests(TestServers servers)
{
    private const string ScrapeToken = "dashboard-scrape-token";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryMetricTheDashboardQueriesIsExportedByMetrics()
    {
        var queried = DashboardMetrics();
        Assert.True(queried.Count >= 8, string.Join(", ", queried));

        await using var upstream = await FakeProviderServer.StartAsync(Ct);
        using var config = new GatewayConfigFile($"""
            model_list:
              - model_name: "{TelemetryGateway.Model}"
                litellm_params:
                  model: "openai/gpt-fake"
                  api_base: "{upstream.OpenAiBase}"
                  api_key: "sk-upstream-openai"
                model_info:
                  input_cost_per_token: 0.000001
                  output_cost_per_token: 0.000002
            router_settings:
              allowed_fails: 1
            litellm_settings:
              cache: true
              cache_params:
                type: "redis"
                ttl: 3600
            """);
        await using var api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(),
            new Dictionary<string, string?>(config.Settings())
            {
                ["Gateway:BudgetGaugeRefresh"] = "00:00:00.500",
                ["Gateway:Metrics:ScrapeToken"] = ScrapeToken,
            });
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "dashboard", max_budget = 5 }, null, Ct);
        using var client = api.CreateLoopbackClient();

        // A miss, then a hit from the response cache; then failures that cool the deployment down.
        foreach (var stream in new[] { false, false, true })
        {
            using var response = await client.SendAsync(TelemetryGateway.Chat(key, stream, content: "dashboard"), Ct);
            await response.Content.ReadAsStringAsync(Ct);
        }

        upstream.Default = FakeResponse.Error(500);
        foreach (var attempt in Enumerable.Range(0, 3))
        {
            using var failed = await client.SendAsync(TelemetryGateway.Chat(key, stream: false, content: $"fail {attempt}"), Ct);
        }

        // The budget gauge is refreshed every 500 ms; read until everything is there or a bounded while has passed.
        var exported = new HashSet<string>();
        for (var attempt = 0; attempt < 40 && !queried.All(exported.Contains); attempt++)
        {
            await Task.Delay(attempt == 0 ? 0 : 500, Ct);
            using var scrape = await api.CreateLoopbackClient(ScrapeToken).GetAsync("/metrics", Ct);
            var text = await scrape.Content.ReadAsStringAsync(Ct);
            exported = [.. text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => MetricName().Match(l).Value)];
        }

        var missing = queried.Where(name => !exported.Contains(name)).ToList();
        Assert.True(missing.Count == 0, $"not exported: {string.Join(", ", missing)}; exported: " +
            string.Join(", ", exported.Where(name => QueriedName().IsMatch(name)).Order()));
    }

    /// <summary>Every metric name in the dashboard's PromQL expressions.</summary>
    private static HashSet<string> DashboardMetrics()
    {
        var path = Path.Combine(RepositoryRoot(), "deploy", "grafana", "llmgateway-dashboard.json");
        using var dashboard = JsonDocument.Parse(File.ReadAllText(path));
        return [.. dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => LabelLists().Replace(target.GetProperty("expr").GetString()!, ""))
            .SelectMany(expr => QueriedName().Matches(expr).Select(m => m.Value))];
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LlmGateway.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("LlmGateway.sln not found above the test folder");
    }

    [GeneratedRegex(@"\b(?:llmgateway|gen_ai)_[A-Za-z0-9_]+")]
    private static partial Regex QueriedName();

    // Label names in "by (…)" and "{…}" are not metrics.
    [GeneratedRegex(@"\b(?:by|without)\s*\([^)]*\)|\{[^}]*\}")]
    private static partial Regex LabelLists();

    [GeneratedRegex(@"^[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex MetricName();
}
