using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Keys;

/// <summary>
/// Two replicas (A and B) over one database and a Redis of their own (the tests restart it), with a fake provider. Key
/// records stay cached for 5 minutes, so within a test only a pub/sub message can tell a replica that a key was revoked;
/// the subscription is probed every half second.
/// </summary>
public sealed class RevocationFixture(TestServers servers) : IAsyncLifetime
{
    public const string OpenAiGroup = "revoke-openai";
    public const string AnthropicGroup = "revoke-anthropic";

    private readonly string dataDirectory = Spend.SpendTestData.NewDataDirectory();
    private GatewayConfigFile config = null!;

    public FakeProviderServer Fake { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public GatewayApiHost A { get; private set; } = null!;
    public GatewayApiHost B { get; private set; } = null!;
    public string Database { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Fake = await FakeProviderServer.StartAsync();
        Redis = await TestServers.StartOwnRedisAsync();
        Database = await servers.CreateDatabaseAsync();
        config = new GatewayConfigFile($"""
            model_list:
              - model_name: "{OpenAiGroup}"
                litellm_params:
                  model: "openai/revoke-gpt"
                  api_base: "{Fake.OpenAiBase}"
                  api_key: "sk-upstream-openai"
                model_info:
                  input_cost_per_token: 0.000001
                  output_cost_per_token: 0.000002
              - model_name: "{AnthropicGroup}"
                litellm_params:
                  model: "anthropic/revoke-claude"
                  api_base: "{Fake.AnthropicBase}"
                  api_key: "sk-upstream-anthropic"
                model_info:
                  input_cost_per_token: 0.000001
                  output_cost_per_token: 0.000002
            general_settings:
              health_check_interval: 3600
            """);
        // One spool folder per replica, as in production.
        IReadOnlyDictionary<string, string?> SettingsOf(string folder) => config.Settings([.. Spend.SpendTestData.Settings(folder,
            ("Gateway:Keys:CacheTtlSeconds", "300"),
            ("Gateway:Keys:SubscriptionProbeSeconds", "0.5")).Select(s => (s.Key, s.Value))]);
        A = await GatewayApiHost.StartAsync(Database, Redis.ConnectionString, SettingsOf(dataDirectory));
        B = await GatewayApiHost.StartAsync(Database, Redis.ConnectionString, SettingsOf(dataDirectory + "-b"));
    }

    public async ValueTask DisposeAsync()
    {
        if (B is not null)
            await B.DisposeAsync();
        if (A is not null)
            await A.DisposeAsync();
        if (Redis is not null)
            await Redis.DisposeAsync();
        if (Fake is not null)
            await Fake.DisposeAsync();
        config?.Dispose();
        Spend.SpendTestData.DeleteDirectory(dataDirectory);
        Spend.SpendTestData.DeleteDirectory(dataDirectory + "-b");
    }
}
