using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Limits;

/// <summary>
/// A fake OpenAI upstream where every call costs exactly $0.01 (100 completion tokens at $0.0001, input free),
/// and two Api replicas over one Postgres database and one Redis.
/// </summary>
public class GovernanceFixture(TestServers servers) : IAsyncLifetime
{
    public const string Model = "gpt-test";
    public const decimal CallCost = 0.01m;

    private GatewayConfigFile config = null!;

    public FakeProviderServer Upstream { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;
    public GatewayApiHost Replica { get; private set; } = null!;
    public string RedisConnection { get; private set; } = "";

    /// <summary>The settings both replicas run with (the fixture's config file included), for a test's own replica.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; private set; } = new Dictionary<string, string?>();
    public string DatabaseConnection { get; private set; } = "";

    /// <summary>Every log line both replicas write, at every level, to prove no raw key is ever logged.</summary>
    public Alerting.LogCapture Logs { get; } = new();

    /// <summary>More top-level YAML (e.g. <c>litellm_settings</c>) for a fixture that derives from this one.</summary>
    protected virtual string ExtraYaml => "";

    /// <summary>More settings for both replicas (e.g. <c>Gateway:Limits:Leases</c>), for a fixture that derives from this one.</summary>
    protected virtual (string Key, string? Value)[] ExtraSettings => [];

    /// <summary>Service overrides for the first replica (<see cref="Api"/>), for a fixture that derives from this one.</summary>
    protected virtual Action<IServiceCollection>? ApiServices => null;

    public async ValueTask InitializeAsync()
    {
        Upstream = await FakeProviderServer.StartAsync();
        Upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };
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
              - model_name: "other-model"
                litellm_params:
                  model: "openai/gpt-other"
                  api_base: "{Upstream.OpenAiBase}"
                  api_key: "sk-upstream-openai"
                model_info:
                  input_cost_per_token: 0
                  output_cost_per_token: 0.0001
            # No background probes: the tests count the upstream's requests (a probe is one more) and script its answers.
            general_settings:
              health_check_interval: 86400
            {ExtraYaml}
            """);
        DatabaseConnection = await servers.CreateDatabaseAsync();
        RedisConnection = await servers.CreateRedisAsync();
        var settings = Settings = config.Settings([($"Logging:{typeof(Alerting.LogCapture).FullName}:LogLevel:Default", "Trace"), .. ExtraSettings]);
        Api = await GatewayApiHost.StartAsync(DatabaseConnection, RedisConnection, settings, ApiServices);
        Replica = await GatewayApiHost.StartAsync(DatabaseConnection, RedisConnection, settings);
        Api.Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
        Replica.Services.GetRequiredService<ILoggerFactory>().AddProvider(Logs);
    }

    public async ValueTask DisposeAsync()
    {
        await Replica.DisposeAsync();
        await Api.DisposeAsync();
        await Upstream.DisposeAsync();
        config.Dispose();
    }

    /// <summary>Creates a team and a key through the management API; returns (team id, raw key).</summary>
    public async Task<(string TeamId, string Key)> CreateTeamAndKeyAsync(object team, object? key = null)
    {
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return await ManagementCalls.CreateTeamAndKeyAsync(admin, team, key);
    }

    public static HttpRequestMessage Chat(string key, string model = Model, int maxTokens = 100) =>
        new(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = JsonContent.Create(new
            {
                model,
                max_tokens = maxTokens,
                messages = new[] { new { role = "user", content = "hello" } },
            }),
        };
}
