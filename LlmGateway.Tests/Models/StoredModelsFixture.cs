using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Models;

/// <summary>
/// Two replicas over one database and Redis with <c>store_model_in_db: true</c>, a fake upstream, and one deployment in the
/// config file. The poll is set to a minute, so a change that reaches the other replica in time came by pub/sub.
/// </summary>
public sealed class StoredModelsFixture(TestServers servers) : IAsyncLifetime
{
    public const string ConfigGroup = "config-group";
    public const string ConfigId = "config-deployment";

    private readonly string dataDirectory = Spend.SpendTestData.NewDataDirectory();
    private GatewayConfigFile config = null!;

    public FakeProviderServer Fake { get; private set; } = null!;
    public GatewayApiHost A { get; private set; } = null!;
    public GatewayApiHost B { get; private set; } = null!;
    public string Database { get; private set; } = "";
    public string Redis { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Fake = await FakeProviderServer.StartAsync();
        Database = await servers.CreateDatabaseAsync();
        Redis = await servers.CreateRedisAsync();
        config = new GatewayConfigFile($"""
            model_list:
              - model_name: "{ConfigGroup}"
                litellm_params:
                  model: "openai/config-gpt"
                  api_base: "{Fake.OpenAiBase}"
                  api_key: "sk-config-upstream"
                model_info:
                  id: "{ConfigId}"
                  input_cost_per_token: 0.000001
                  output_cost_per_token: 0.000002
            general_settings:
              store_model_in_db: true
              health_check_interval: 3600
            """);
        A = await StartReplicaAsync(dataDirectory);
        B = await StartReplicaAsync(dataDirectory + "-b");
    }

    /// <summary>Another replica over the same stores (a restart, or a third replica).</summary>
    public Task<GatewayApiHost> StartReplicaAsync(string folder) =>
        GatewayApiHost.StartAsync(Database, Redis, config.Settings([.. Spend.SpendTestData.Settings(folder,
            ("Gateway:ModelSecretsKey", "test-model-secrets-key-0123456789abcdef"),
            ("Gateway:Models:PollSeconds", "60")).Select(s => (s.Key, s.Value))]));

    public async ValueTask DisposeAsync()
    {
        if (B is not null)
            await B.DisposeAsync();
        if (A is not null)
            await A.DisposeAsync();
        if (Fake is not null)
            await Fake.DisposeAsync();
        config?.Dispose();
        Spend.SpendTestData.DeleteDirectory(dataDirectory);
        Spend.SpendTestData.DeleteDirectory(dataDirectory + "-b");
    }
}
