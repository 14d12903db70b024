using LlmGateway.Api.Configuration;
using static LlmGateway.Tests.Configuration.ConfigFixtures;

namespace LlmGateway.Tests.Configuration;

public class BlueprintConfigTests
{
    [Fact]
    public void BlueprintConfigLoadsUnchanged()
    {
        var (config, _) = Load(BlueprintYaml, BlueprintEnvironment);

        Assert.Equal(3, config.Deployments.Count);
        Assert.Equal(["claude-sonnet", "claude-sonnet", "fast"], config.Deployments.Select(d => d.ModelName));
        Assert.Equal(2, new ModelCatalog(config).Groups.Count);

        var sonnet = config.Deployments[0];
        Assert.Equal(ProviderKind.Anthropic, sonnet.Provider);
        Assert.Equal("claude-sonnet-4-20250514", sonnet.ProviderModel);
        Assert.Equal("sk-ant-test", sonnet.ApiKey);
        Assert.Equal(new Uri("https://api.anthropic.com/"), sonnet.ApiBase);
        Assert.Equal(8192, sonnet.MaxTokens);
        Assert.Equal(TimeSpan.FromSeconds(120), sonnet.Timeout);
        Assert.Equal(0.000003m, sonnet.ModelInfo.InputCostPerToken);
        Assert.Equal(0.000015m, sonnet.ModelInfo.OutputCostPerToken);

        var gpt = config.Deployments[1];
        Assert.Equal((ProviderKind.OpenAI, "gpt-4o", "sk-openai-test"), (gpt.Provider, gpt.ProviderModel, gpt.ApiKey));
        Assert.Equal(new Uri("https://api.openai.com/v1/"), gpt.ApiBase);
        Assert.Equal(0.0000025m, gpt.ModelInfo.InputCostPerToken);

        var fast = config.Deployments[2];
        Assert.Equal((4096, TimeSpan.FromSeconds(30)), (fast.MaxTokens, fast.Timeout));
        Assert.Same(ModelInfo.Empty, fast.ModelInfo);
    }

    [Fact]
    public void BlueprintSettingsAreReadWithEnvironmentValues()
    {
        var (config, _) = Load(BlueprintYaml, BlueprintEnvironment);

        Assert.True(config.LitellmSettings.DropParams);
        Assert.True(config.LitellmSettings.Cache);
        Assert.Equal("redis", config.LitellmSettings.CacheParams.Type);
        Assert.Equal("redis.local", config.LitellmSettings.CacheParams.Host);
        Assert.Equal(6379, config.LitellmSettings.CacheParams.Port);
        Assert.Equal(3600, config.LitellmSettings.CacheParams.Ttl);
        Assert.Equal("sk-master-test", config.MasterKey);
        Assert.Equal("postgres://u:p@db/gateway", config.GeneralSettings.DatabaseUrl);
        Assert.Equal(["slack"], config.GeneralSettings.Alerting);
        Assert.Equal(["llm_exceptions", "budget_alerts"], config.GeneralSettings.AlertTypes);
        Assert.Equal(RouterSettings.DefaultRoutingStrategy, config.RouterSettings.RoutingStrategy);
    }

    [Fact]
    public void BlueprintWarnsOnlyThatSetVerboseIsIgnored()
    {
        var (_, warnings) = Load(BlueprintYaml, BlueprintEnvironment);

        Assert.Equal(["litellm_settings.set_verbose is not supported and is ignored"], warnings);
    }

    [Fact]
    public void DeploymentIdsAreStableAcrossLoadsAndDistinct()
    {
        var first = Load(BlueprintYaml, BlueprintEnvironment).Config.Deployments.Select(d => d.Id).ToArray();
        var second = Load(BlueprintYaml, BlueprintEnvironment).Config.Deployments.Select(d => d.Id).ToArray();

        Assert.Equal(first, second);
        Assert.Equal(3, first.Distinct().Count());
        Assert.All(first, id => Assert.Equal(12, id.Length));
    }

    [Fact]
    public void ModelInfoIdIsUsedAsDeploymentId()
    {
        var yaml = """
            model_list:
              - model_name: m
                litellm_params: { model: mock/x }
                model_info: { id: my-deployment }
            """;

        Assert.Equal("my-deployment", Load(yaml).Config.Deployments[0].Id);
    }

    [Fact]
    public void ToStringNeverShowsSecrets()
    {
        var (config, _) = Load(BlueprintYaml, BlueprintEnvironment);

        var text = string.Join(" ", config, config.LitellmSettings, config.GeneralSettings, string.Join(",", config.Deployments));

        Assert.DoesNotContain("sk-", text);
        Assert.DoesNotContain("u:p@", text);
    }
}
