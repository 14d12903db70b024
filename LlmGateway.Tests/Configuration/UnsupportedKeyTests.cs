using static LlmGateway.Tests.Configuration.ConfigFixtures;

namespace LlmGateway.Tests.Configuration;

public class UnsupportedKeyTests
{
    [Fact]
    public void UnknownKeysAtEveryLevelAreWarnedByPath()
    {
        var yaml = """
            model_list:
              - model_name: m
                tags: [a]
                litellm_params: { model: mock/x, stream: true }
                model_info: { base_model: gpt-4 }
            litellm_settings: { success_callback: [langfuse], cache_params: { supported_call_types: [] } }
            router_settings: { redis_host: r }
            general_settings: { master_key: sk-x, allow_user_auth: true }
            environment_variables: { A: b }
            """;

        var (_, warnings) = Load(yaml);

        Assert.Equal(
            [
                "model_list[0].tags is not supported and is ignored",
                "model_list[0].litellm_params.stream is not supported and is ignored",
                "model_list[0].model_info.base_model is not supported and is ignored",
                "litellm_settings.cache_params.supported_call_types is not supported and is ignored",
                "litellm_settings.success_callback is not supported and is ignored",
                "router_settings.redis_host is not supported and is ignored",
                "general_settings.allow_user_auth is not supported and is ignored",
                "environment_variables is not supported and is ignored",
            ],
            warnings);
    }

    [Fact]
    public void TheSameUnknownKeyInSeveralEntriesIsWarnedOnce()
    {
        var yaml = """
            model_list:
              - model_name: a
                litellm_params: { model: mock/x, stream: true }
              - model_name: b
                litellm_params: { model: mock/y, stream: true }
              - model_name: c
                litellm_params: { model: mock/z, stream: true }
            general_settings: { master_key: sk-x }
            """;

        var (_, warnings) = Load(yaml);

        Assert.Equal(["model_list[0].litellm_params.stream is not supported and is ignored (also in 2 more entries)"], warnings);
    }

    [Fact]
    public void EmptyConfigWarnsThatNothingIsConfigured()
    {
        var (config, warnings) = Load("");

        Assert.Empty(config.Deployments);
        Assert.Equal(
            ["model_list is empty: no model deployments are configured", "no master key is configured: set general_settings.master_key or Gateway:MasterKey"],
            warnings);
    }

    [Fact]
    public void FallbackToAnUnknownModelGroupIsWarned()
    {
        var yaml = BlueprintYaml.Replace("drop_params: true", "drop_params: true\n  fallbacks: [{\"claude-sonnet\": [\"fast\", \"gpt-5\"]}]");

        var (config, warnings) = Load(yaml, BlueprintEnvironment);

        Assert.Equal(["fast", "gpt-5"], config.LitellmSettings.Fallbacks[0].Fallbacks);
        Assert.Contains("litellm_settings.fallbacks: model group 'gpt-5' is not in the model list", warnings);
        Assert.Equal(2, warnings.Count);
    }
}
