using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// One <see cref="FakeProviderServer"/> and one Api per test class, with a config whose model groups cover every
/// provider path the proxy has: OpenAI, Anthropic, Azure (classic and v1), embeddings, a slow group and the mock.
/// Started on first use by <see cref="ProxyTestBase{TFixture}"/>, which needs the assembly's <see cref="TestServers"/>.
/// </summary>
public class ProxyFixture : IAsyncDisposable
{
    public const string OpenAiGroup = "gpt-proxy";
    public const string AnthropicGroup = "claude-proxy";
    public const string EmbeddingsGroup = "embed-proxy";
    public const string AzureClassicGroup = "azure-classic";
    public const string AzureV1Group = "azure-v1";
    public const string SlowGroup = "gpt-slow";
    public const string MockGroup = "mock-demo";
    public const string MockScriptedGroup = "mock-scripted";
    public const string MockFailingGroup = "mock-failing";

    public const string OpenAiDeploymentKey = "sk-upstream-openai-deployment-key";
    public const string AnthropicDeploymentKey = "sk-ant-upstream-deployment-key";
    public const string AzureDeploymentKey = "azure-upstream-deployment-key";

    public const string OpenAiDeploymentId = "openai-primary";
    public const string AnthropicDeploymentId = "anthropic-primary";
    public const string MockScriptedAnswer = "Configured mock answer for the demo";

    private readonly SemaphoreSlim gate = new(1, 1);
    private string? configFile;

    public FakeProviderServer Fake { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;

    /// <summary>Configuration keys on top of the config file, for fixtures that need other limits.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async Task StartAsync(TestServers servers)
    {
        await gate.WaitAsync();
        try
        {
            if (Api is not null)
                return;
            Fake = await FakeProviderServer.StartAsync();
            configFile = Path.Combine(Path.GetTempPath(), $"llmgateway-proxy-{Guid.NewGuid():N}.yaml");
            await File.WriteAllTextAsync(configFile, ConfigYaml(Fake));
            var settings = new Dictionary<string, string?>(Settings) { ["Gateway:ConfigFile"] = configFile };
            Api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(), settings);
        }
        finally
        {
            gate.Release();
        }
    }

    public static string ConfigYaml(FakeProviderServer fake) => $"""
        model_list:
          - model_name: "{OpenAiGroup}"
            litellm_params:
              model: "openai/gpt-test"
              api_base: "{fake.OpenAiBase}"
              api_key: "{OpenAiDeploymentKey}"
            model_info:
              id: "{OpenAiDeploymentId}"
          - model_name: "{AnthropicGroup}"
            litellm_params:
              model: "anthropic/claude-test"
              api_base: "{fake.AnthropicBase}"
              api_key: "{AnthropicDeploymentKey}"
            model_info:
              id: "{AnthropicDeploymentId}"
          - model_name: "{EmbeddingsGroup}"
            litellm_params:
              model: "openai/text-embedding-3-small"
              api_base: "{fake.OpenAiBase}"
              api_key: "{OpenAiDeploymentKey}"
          - model_name: "{AzureClassicGroup}"
            litellm_params:
              model: "azure/my-deployment"
              api_base: "{fake.BaseUri}"
              api_version: "2024-10-21"
              api_key: "{AzureDeploymentKey}"
          - model_name: "{AzureV1Group}"
            litellm_params:
              model: "azure/my-v1-deployment"
              api_base: "{fake.BaseUri}openai/v1"
              api_key: "{AzureDeploymentKey}"
          - model_name: "{SlowGroup}"
            litellm_params:
              model: "openai/gpt-slow"
              api_base: "{fake.OpenAiBase}"
              api_key: "{OpenAiDeploymentKey}"
              timeout: 1
          - model_name: "{MockGroup}"
            litellm_params:
              model: "mock/demo-model"
          - model_name: "{MockScriptedGroup}"
            litellm_params:
              model: "mock/scripted-model"
              mock_response: "{MockScriptedAnswer}"
          - model_name: "{MockFailingGroup}"
            litellm_params:
              model: "mock/broken-model"
              mock_failure_rate: 1
              mock_status: 503
        """;

    public async ValueTask DisposeAsync()
    {
        if (Api is not null)
            await Api.DisposeAsync();
        if (Fake is not null)
            await Fake.DisposeAsync();
        if (configFile is not null)
            File.Delete(configFile);
        gate.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The same config with a 1 KiB body limit, for the 413 tests.</summary>
public sealed class SmallBodyLimitFixture : ProxyFixture
{
    public const int Limit = 1024;

    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Gateway:MaxRequestBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) };
}
