using static LlmGateway.Tests.Configuration.ConfigFixtures;

namespace LlmGateway.Tests.Configuration;

public class EnvironmentReferenceTests
{
    [Fact]
    public void OsEnvironReadsTheNamedVariableInAnyStringValue()
    {
        var yaml = Deployment("""
            model: os.environ/MODEL
            api_base: os.environ/BASE
            rpm: os.environ/RPM
            """);

        var deployment = Load(yaml, new Dictionary<string, string?> { ["MODEL"] = "hosted_vllm/llama", ["BASE"] = "http://vllm:8000/v1", ["RPM"] = "60" })
            .Config.Deployments[0];

        Assert.Equal(("llama", 60), (deployment.ProviderModel, deployment.Rpm));
        Assert.Equal(new Uri("http://vllm:8000/v1/"), deployment.ApiBase);
    }

    [Fact]
    public void MissingApiKeyVariableGivesNullAndAWarningNamingDeploymentAndVariable()
    {
        var (config, warnings) = Load(BlueprintYaml, new Dictionary<string, string?>(BlueprintEnvironment) { ["OPENAI_API_KEY"] = null });

        Assert.Null(config.Deployments[1].ApiKey);
        Assert.Contains("model_list[1].litellm_params.api_key: environment variable OPENAI_API_KEY is not set; deployment 'claude-sonnet' #1 has no API key", warnings);
    }

    [Fact]
    public void MissingMasterKeyVariableIsWarnedByName()
    {
        var (config, warnings) = Load(BlueprintYaml, new Dictionary<string, string?>(BlueprintEnvironment) { ["LITELLM_MASTER_KEY"] = null });

        Assert.Null(config.MasterKey);
        Assert.Contains("general_settings.master_key: environment variable LITELLM_MASTER_KEY is not set; no master key is configured", warnings);
    }

    [Fact]
    public void MissingVariableElsewhereGivesNullWithoutWarning()
    {
        var (config, warnings) = Load(BlueprintYaml, new Dictionary<string, string?>(BlueprintEnvironment) { ["REDIS_HOST"] = null });

        Assert.Null(config.LitellmSettings.CacheParams.Host);
        Assert.DoesNotContain(warnings, w => w.Contains("REDIS_HOST"));
    }

    [Fact]
    public void WarningsNeverContainSecretValues()
    {
        var yaml = BlueprintYaml.Replace("drop_params: true", "drop_params: true\n  success_callback: [\"langfuse\"]");

        var (_, warnings) = Load(yaml, BlueprintEnvironment);

        Assert.All(warnings, w => Assert.DoesNotContain("sk-", w));
    }
}
