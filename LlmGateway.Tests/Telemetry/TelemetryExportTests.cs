using System.Text.RegularExpressions;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Telemetry;

/// <summary>GenAI spans and metrics, Prometheus /metrics with bounded labels, and no content anywhere while content logging is off.</summary>
public sealed partial class TelemetryExportTests(TestServers servers)
{
    private static readonly HashSet<string> AllowedLabels =
    [
        "gen_ai_operation_name", "gen_ai_request_model", "gen_ai_provider_name", "gen_ai_token_type", "llmgateway_team_id",
        "error_type", "http_response_status_class", "llmgateway_deployment", "llmgateway_model_group", "reason",
        // the response cache's series (hits, misses, errors of any test in this process): a model group, a team id, read|write
        "model_group", "team", "operation", "le", "otel_scope_name", "otel_scope_version", "otel_scope_schema_url",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RequestsCarryGenAiSpanAttributesAndPrometheusMetricsWithBoundedLabelsOnly()
    {
        using var capture = new TelemetryCapture();
        await using var gateway = await TelemetryGateway.StartUpstreamAsync();
        var api = await gateway.StartApiAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(),
            ("Gateway:BudgetGaugeRefresh", "00:00:00.500"), ("Gateway:Metrics:TeamLabels", "true")); // public, with per-team series
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (teamId, key) = await TelemetryGateway.CreateTeamAndKeyAsync(admin, new { team_alias = "metrics", max_budget = 5 });
        gateway.Upstream.Default = FakeResponse.Ok with { PromptTokens = 12, CompletionTokens = 34 };
        using var client = api.CreateLoopbackClient();
        foreach (var stream in new[] { false, true })
        {
            using var response = await client.SendAsync(TelemetryGateway.Chat(key, stream), Ct);
            await response.Content.ReadAsStringAsync(Ct);
            response.EnsureSuccessStatusCode();
        }

        using var unknown = await client.SendAsync(TelemetryGateway.Chat("sk-not-a-key", stream: false), Ct);

        var span = capture.Spans.First(s => s.GetTagItem("llmgateway.team_id") as string == teamId);
        Assert.Equal("chat", span.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(TelemetryGateway.Model, span.GetTagItem("gen_ai.request.model"));
        Assert.Equal("gpt-fake", span.GetTagItem("gen_ai.response.model"));
        Assert.Equal("openai", span.GetTagItem("gen_ai.provider.name"));
        Assert.Equal(12L, span.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(34L, span.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(false, span.GetTagItem("llmgateway.cache_hit"));
        Assert.Contains(capture.Spans, s => s.OperationName == "upstream attempt" && Equals(s.GetTagItem("gen_ai.usage.output_tokens"), 34L));

        var metrics = "";
        await LocalProcess.WaitUntilAsync(async () =>
        {
            using var scrape = await api.CreateLoopbackClient().GetAsync("/metrics", Ct); // no scrape token configured
            metrics = await scrape.Content.ReadAsStringAsync(Ct);
            return scrape.IsSuccessStatusCode && metrics.Contains($"llmgateway_budget_remaining_USD{{otel_scope_name=\"LlmGateway\",llmgateway_team_id=\"{teamId}\"}} ");
        }, TimeSpan.FromSeconds(10), "the team's budget gauge");
        Assert.Contains("gen_ai_client_token_usage", metrics);
        Assert.Contains("gen_ai_client_operation_duration", metrics);
        Assert.Contains("gen_ai_server_time_to_first_token", metrics);
        Assert.Contains("llmgateway_requests", metrics);
        Assert.Contains("llmgateway_cost", metrics);
        Assert.Contains("llmgateway_overhead", metrics);
        Assert.Contains($"llmgateway_team_id=\"{teamId}\"", metrics);
        Assert.Matches("llmgateway_requests[a-z_]*\\{[^}]*http_response_status_class=\"4xx\"", metrics);
        Assert.DoesNotContain(key, metrics);
        Assert.DoesNotContain(HashOf(key), metrics);
        Assert.DoesNotContain(key[..12], metrics);
        foreach (var line in metrics.Split('\n').Where(l => l.StartsWith("gen_ai_", StringComparison.Ordinal) || l.StartsWith("llmgateway_", StringComparison.Ordinal)))
        {
            foreach (Match label in LabelName().Matches(line))
            {
                Assert.True(AllowedLabels.Contains(label.Groups[1].Value), $"unbounded label in: {line}");
            }
        }
    }

    [Fact]
    public async Task ACanaryInPromptsAndCompletionsIsInNoTableLogOrSpanWhileContentLoggingIsOff()
    {
        var canary = $"canary-{Guid.NewGuid():N}";
        using var capture = new TelemetryCapture();
        await using var gateway = await TelemetryGateway.StartUpstreamAsync();
        var database = await servers.CreateDatabaseAsync();
        var api = await gateway.StartApiAsync(database, await servers.CreateRedisAsync(), ("Logging:LogLevel:Default", "Debug"),
            ("Logging:LogLevel:Microsoft.EntityFrameworkCore", "Debug"));
        api.Services.GetRequiredService<ILoggerFactory>().AddProvider(capture);
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await TelemetryGateway.CreateTeamAndKeyAsync(admin);
        gateway.Upstream.Default = FakeResponse.Ok with { Text = $"the answer {canary}" };
        using var client = api.CreateLoopbackClient();
        var ids = new List<string>();
        foreach (var stream in new[] { false, true })
        {
            using var response = await client.SendAsync(TelemetryGateway.Chat(key, stream, $"my secret prompt {canary}"), Ct);
            Assert.Contains(canary, await response.Content.ReadAsStringAsync(Ct));
            ids.Add(TelemetryGateway.RequestId(response));
        }

        foreach (var id in ids)
        {
            await TelemetryGateway.WaitForRowAsync(database, id, TimeSpan.FromSeconds(10));
        }

        Assert.Empty(await RowsContainingAsync(database, canary));
        Assert.DoesNotContain(capture.Logs, line => line.Contains(canary, StringComparison.Ordinal));
        Assert.DoesNotContain(capture.SpanText(), text => text.Contains(canary, StringComparison.Ordinal));
        Assert.NotEmpty(capture.Logs); // the capture did see the gateway's logs
    }

    /// <summary>Every table of the database whose rows, as text, contain <paramref name="needle"/>.</summary>
    internal static async Task<List<string>> RowsContainingAsync(string database, string needle)
    {
        var tables = new List<string>();
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(Ct);
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", connection))
        await using (var reader = await list.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("spend_logs", tables);
        var hits = new List<string>();
        foreach (var table in tables)
        {
            await using var search = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\" t WHERE t::text LIKE @needle", connection);
            search.Parameters.AddWithValue("needle", $"%{needle}%");
            if ((long)(await search.ExecuteScalarAsync(Ct))! > 0)
            {
                hits.Add(table);
            }
        }

        return hits;
    }

    [GeneratedRegex("[{,]([a-zA-Z_][a-zA-Z0-9_]*)=\"")]
    private static partial Regex LabelName();
}
