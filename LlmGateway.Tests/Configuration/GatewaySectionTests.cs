using LlmGateway.Api.Configuration;
using static LlmGateway.Tests.Configuration.ConfigFixtures;

namespace LlmGateway.Tests.Configuration;

public class GatewaySectionTests
{
    [Fact]
    public void GatewaySectionEntriesAreAppendedAfterYamlEntries()
    {
        var gateway = new Dictionary<string, string?>
        {
            ["ModelList:0:ModelName"] = "local",
            ["ModelList:0:Model"] = "ollama/llama3",
            ["ModelList:0:ApiKey"] = "os.environ/OLLAMA_KEY",
            ["ModelList:0:Timeout"] = "15",
            ["ModelList:0:Rpm"] = "10",
            ["ModelList:0:Order"] = "2",
            ["ModelList:0:InputCostPerToken"] = "0.000001",
            ["ModelList:0:MaxInputTokens"] = "8192",
            ["ModelList:1:ModelName"] = "claude-sonnet",
            ["ModelList:1:Model"] = "openai_compatible/qwen",
            ["ModelList:1:ApiBase"] = "http://qwen:8000/v1",
        };

        var config = Load(BlueprintYaml, new Dictionary<string, string?>(BlueprintEnvironment) { ["OLLAMA_KEY"] = "k" }, gateway).Config;

        Assert.Equal(5, config.Deployments.Count);
        var local = config.Deployments[3];
        Assert.Equal(("local", 3, ProviderKind.Ollama, "llama3", "k"), (local.ModelName, local.Index, local.Provider, local.ProviderModel, local.ApiKey));
        Assert.Equal((TimeSpan.FromSeconds(15), 10, 2), (local.Timeout, local.Rpm, local.Order));
        Assert.Equal((0.000001m, 8192), (local.ModelInfo.InputCostPerToken, local.ModelInfo.MaxInputTokens));
        Assert.Equal(new Uri("http://qwen:8000/v1/"), config.Deployments[4].ApiBase);
        Assert.True(new ModelCatalog(config).TryGetGroup("claude-sonnet", out var group));
        Assert.Equal(3, group.Deployments.Count);
    }

    [Fact]
    public void GatewaySectionEntriesTakeTheCacheRatesOfModelInfo()
    {
        var gateway = new Dictionary<string, string?>
        {
            ["ModelList:0:ModelName"] = "claude",
            ["ModelList:0:Model"] = "anthropic/claude-sonnet-4",
            ["ModelList:0:CacheReadInputTokenCost"] = "0.0000003",
            ["ModelList:0:CacheCreationInputTokenCost"] = "0.00000375",
            ["ModelList:0:CacheCreationInputTokenCostAbove1hr"] = "0.000006",
        };

        var (config, warnings) = Load("general_settings: { master_key: sk-test }", gateway: gateway);

        var info = config.Deployments.Single().ModelInfo;
        Assert.Equal((0.0000003m, 0.00000375m, 0.000006m),
            (info.CacheReadInputTokenCost, info.CacheCreationInputTokenCost, info.CacheCreationInputTokenCostAbove1Hr));
        Assert.Empty(warnings);
    }

    [Fact]
    public void GatewaySectionSettingsOverrideTheYaml()
    {
        var gateway = new Dictionary<string, string?> { ["MasterKey"] = "sk-from-section", ["DropParams"] = "false", ["NumRetries"] = "4" };

        var config = Load(BlueprintYaml, BlueprintEnvironment, gateway).Config;

        Assert.Equal("sk-from-section", config.MasterKey);
        Assert.False(config.LitellmSettings.DropParams);
        Assert.Equal(4, config.LitellmSettings.NumRetries);
    }

    [Fact]
    public void GatewaySectionAloneIsEnough()
    {
        var gateway = new Dictionary<string, string?>
        {
            ["MasterKey"] = "sk-m",
            ["ModelList:0:ModelName"] = "demo",
            ["ModelList:0:Model"] = "mock/demo",
        };

        var (config, warnings) = GatewayConfigLoader.Load(null, Section(gateway), Environment(null));

        Assert.Equal(("demo", 0, ProviderKind.Mock), (config.Deployments[0].ModelName, config.Deployments[0].Index, config.Deployments[0].Provider));
        Assert.Empty(warnings);
    }

    [Fact]
    public void InvalidGatewaySectionEntryNamesItsConfigurationKey()
    {
        var gateway = new Dictionary<string, string?> { ["ModelList:0:ModelName"] = "x", ["ModelList:0:Model"] = "mock/x", ["ModelList:0:Rpm"] = "-3" };

        var error = Assert.Throws<GatewayConfigException>(() => Load("", gateway: gateway));

        Assert.Equal("Gateway:ModelList:0:Rpm: must not be negative, got -3", error.Message);
    }

    [Fact]
    public void UnknownGatewaySectionEntryKeyIsWarned()
    {
        var gateway = new Dictionary<string, string?>
        {
            ["MasterKey"] = "sk-m",
            ["ModelList:0:ModelName"] = "x",
            ["ModelList:0:Model"] = "mock/x",
            ["ModelList:0:Temperature"] = "0.2",
        };

        var (_, warnings) = Load("", gateway: gateway);

        Assert.Equal(["Gateway:ModelList:0:Temperature is not supported and is ignored"], warnings);
    }

    [Fact]
    public void DuplicateIdAcrossYamlAndGatewaySectionNamesBothEntries()
    {
        var yaml = """
            model_list:
              - model_name: a
                litellm_params: { model: mock/x }
                model_info: { id: same }
            """;
        var gateway = new Dictionary<string, string?> { ["ModelList:0:ModelName"] = "b", ["ModelList:0:Model"] = "mock/y", ["ModelList:0:Id"] = "same" };

        var error = Assert.Throws<GatewayConfigException>(() => Load(yaml, gateway: gateway));

        Assert.Equal("Gateway:ModelList:0:Id: duplicate id 'same' (also used by model_list[0])", error.Message);
    }
}
