using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Tests.Alerting;

/// <summary>
/// Two Api replicas with every alert channel on (Slack, JSON webhook, email), a loopback receiver for the webhooks,
/// an SMTP sink, and a fake upstream where every call costs exactly $0.01. Alert timings are shortened.
/// </summary>
public sealed class AlertsFixture(TestServers servers) : IAsyncLifetime
{
    public const string Model = "gpt-test";
    public const string SmtpPassword = "smtp-secret-password-42";
    public const string OpsEmail = "ops@gateway.example";

    private GatewayConfigFile config = null!;

    public FakeProviderServer Upstream { get; private set; } = null!;
    public AlertReceiver Receiver { get; private set; } = null!;
    public SmtpSink Smtp { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;
    public GatewayApiHost Replica { get; private set; } = null!;
    public LogCapture Logs { get; } = new();
    public string DatabaseConnection { get; private set; } = "";

    /// <summary>Secrets that must never appear in a response or a log line.</summary>
    public static readonly string[] Secrets = ["SECRETSLACKTOKEN42", "SECRETHOOKTOKEN42", SmtpPassword];

    public async ValueTask InitializeAsync()
    {
        Upstream = await FakeProviderServer.StartAsync();
        Upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };
        Receiver = await AlertReceiver.StartAsync();
        Smtp = SmtpSink.Start();
        config = new GatewayConfigFile($"""
            model_list:
              - model_name: "{Model}"
                litellm_params:
                  model: "openai/gpt-test"
                  api_base: "{Upstream.OpenAiBase}"
                  api_key: "sk-upstream-openai"
                model_info:
                  input_cost_per_token: 0
                  output_cost_per_token: 0.0001
                  max_output_tokens: 100
            general_settings:
              alerting: ["slack", "email", "webhook"]
              alert_types: ["budget_alerts", "llm_exceptions"]
            """);
        var settings = config.Settings(
            ("Logging:LogLevel:Default", "Information"),
            ("Gateway:Alerts:SlackWebhookUrl", Receiver.SlackUrl),
            ("Gateway:Alerts:WebhookUrl", Receiver.WebhookUrl),
            ("Gateway:Alerts:Smtp:Host", "127.0.0.1"),
            ("Gateway:Alerts:Smtp:Port", Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Gateway:Alerts:Smtp:From", "gateway@gateway.example"),
            ("Gateway:Alerts:Smtp:UserName", "gateway"),
            ("Gateway:Alerts:Smtp:Password", SmtpPassword),
            ("Gateway:Alerts:Email:To:0", OpsEmail),
            ("Gateway:Alerts:EvaluationInterval", "00:00:00.300"),
            ("Gateway:Alerts:DeliveryPollInterval", "00:00:00.100"),
            ("Gateway:Alerts:RetryBaseDelay", "00:00:00.200"),
            ("Gateway:Alerts:ExceptionQuietPeriod", "01:00:00"));
        DatabaseConnection = await servers.CreateDatabaseAsync();
        var redis = await servers.CreateRedisAsync();
        Api = await GatewayApiHost.StartAsync(DatabaseConnection, redis, settings);
        Replica = await GatewayApiHost.StartAsync(DatabaseConnection, redis, settings);
        Api.Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
        Replica.Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
    }

    public async ValueTask DisposeAsync()
    {
        await Replica.DisposeAsync();
        await Api.DisposeAsync();
        await Smtp.DisposeAsync();
        await Receiver.DisposeAsync();
        await Upstream.DisposeAsync();
        config.Dispose();
    }

    /// <summary>A team (with a key) whose alias is unique to the test; returns (team id, alias, raw key).</summary>
    public async Task<(string TeamId, string Alias, string Key)> CreateTeamAsync(decimal maxBudget, decimal? softBudget = null, string[]? alertEmails = null)
    {
        var alias = $"alerts-{Guid.NewGuid():N}"[..20];
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (teamId, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new
        {
            team_alias = alias,
            max_budget = maxBudget,
            soft_budget = softBudget,
            budget_duration = "1mo",
            metadata = new { alert_emails = alertEmails ?? [] },
        }, new { key_alias = alias + "-key" });
        return (teamId, alias, key);
    }

    /// <summary>Makes <paramref name="calls"/> $0.01 calls, alternating replicas; each must succeed.</summary>
    public async Task SpendAsync(string key, int calls)
    {
        for (var i = 0; i < calls; i++)
        {
            using var client = (i % 2 == 0 ? Api : Replica).CreateLoopbackClient();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Headers = { Authorization = new("Bearer", key) },
                Content = JsonContent.Create(new { model = Model, max_tokens = 100, messages = new[] { new { role = "user", content = "hello" } } }),
            };
            using var response = await client.SendAsync(request);
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>The team's alerts from <c>GET /alerts</c>, newest first.</summary>
    public async Task<List<JsonElement>> AlertsAsync(string teamId)
    {
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var page = await admin.GetFromJsonAsync<JsonElement>($"/alerts?team_id={Uri.EscapeDataString(teamId)}&limit=50");
        return [.. page.GetProperty("alerts").EnumerateArray()];
    }

    /// <summary>Polls (every 100 ms, bounded) until <paramref name="condition"/> holds.</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 30) =>
        LocalProcess.WaitUntilAsync(() => Task.FromResult(condition()), TimeSpan.FromSeconds(seconds), what);

    public static Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 30) =>
        LocalProcess.WaitUntilAsync(condition, TimeSpan.FromSeconds(seconds), what);
}
