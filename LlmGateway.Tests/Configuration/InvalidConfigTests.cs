using LlmGateway.Api.Configuration;
using static LlmGateway.Tests.Configuration.ConfigFixtures;

namespace LlmGateway.Tests.Configuration;

public class InvalidConfigTests
{
    [Theory]
    [InlineData("model: antropic/claude", "model_list[0].litellm_params.model: unknown provider 'antropic'")]
    [InlineData("model: gpt-4o", "model_list[0].litellm_params.model: 'gpt-4o' has no provider prefix (expected e.g. 'openai/gpt-4o')")]
    [InlineData("model: \"openai/\"", "model_list[0].litellm_params.model: no model id after 'openai/'")]
    [InlineData("api_key: x", "model_list[0].litellm_params.model: is required")]
    [InlineData("model: mock/x\ntimeout: -5", "model_list[0].litellm_params.timeout: must be greater than 0 seconds, got -5")]
    [InlineData("model: mock/x\ntimeout: soon", "model_list[0].litellm_params.timeout: expected a number of seconds, got 'soon'")]
    [InlineData("model: mock/x\nstream_timeout: 0", "model_list[0].litellm_params.stream_timeout: must be greater than 0 seconds, got 0")]
    [InlineData("model: mock/x\nrpm: -1", "model_list[0].litellm_params.rpm: must not be negative, got -1")]
    [InlineData("model: mock/x\ntpm: 1.5", "model_list[0].litellm_params.tpm: expected an integer, got '1.5'")]
    [InlineData("model: mock/x\nmax_tokens: 0", "model_list[0].litellm_params.max_tokens: must be at least 1, got 0")]
    [InlineData("model: mock/x\nweight: heavy", "model_list[0].litellm_params.weight: expected a number, got 'heavy'")]
    [InlineData("model: mock/x\nno_retry_when_possibly_billed: maybe", "model_list[0].litellm_params.no_retry_when_possibly_billed: expected true or false, got 'maybe'")]
    [InlineData("model: mock/x\nrpm: [1, 2]", "model_list[0].litellm_params.rpm: expected a single value, got a list or mapping")]
    [InlineData("model: mock/x\nmock_failure_rate: 2", "model_list[0].litellm_params.mock_failure_rate: must be between 0 and 1")]
    [InlineData("model: mock/x\nmock_status: 200", "model_list[0].litellm_params.mock_status: must be an HTTP error status (400 to 599), got 200")]
    [InlineData("model: mock/x\nttfb_timeout: 5\nfirst_byte_timeout: 5", "model_list[0].litellm_params.first_byte_timeout: set either ttfb_timeout or first_byte_timeout, not both")]
    [InlineData("model: azure/my-deployment", "model_list[0].litellm_params.api_base: is required for azure/ deployments (or set AZURE_API_BASE)")]
    [InlineData("model: hosted_vllm/llama", "model_list[0].litellm_params.api_base: is required for hosted_vllm/ deployments (or set HOSTED_VLLM_API_BASE)")]
    [InlineData("model: openai_compatible/x", "model_list[0].litellm_params.api_base: is required for openai_compatible/ deployments")]
    [InlineData("model: openai/x\napi_base: not a url", "model_list[0].litellm_params.api_base: is not an absolute http or https URL")]
    public void InvalidLitellmParamsNameTheirPath(string litellmParams, string expected)
    {
        var error = Assert.Throws<GatewayConfigException>(() => Load(Deployment(litellmParams)));

        Assert.Equal(expected, error.Message);
    }

    [Theory]
    [InlineData("""
        model_list:
          - model_name: ""
            litellm_params: { model: mock/x }
        """, "model_list[0].model_name: must not be empty")]
    [InlineData("""
        model_list:
          - litellm_params: { model: mock/x }
        """, "model_list[0].model_name: is required")]
    [InlineData("""
        model_list:
          - model_name: m
        """, "model_list[0].litellm_params: is required")]
    [InlineData("""
        model_list:
          - model_name: m
            litellm_params: { model: mock/x }
            model_info: { input_cost_per_token: -0.1 }
        """, "model_list[0].model_info.input_cost_per_token: must not be negative, got -0.1")]
    [InlineData("""
        model_list:
          - model_name: m
            litellm_params: { model: mock/x }
            model_info: { output_cost_per_token: cheap }
        """, "model_list[0].model_info.output_cost_per_token: expected a number, got 'cheap'")]
    [InlineData("""
        model_list:
          - model_name: a
            litellm_params: { model: mock/x }
            model_info: { id: same }
          - model_name: b
            litellm_params: { model: mock/y }
            model_info: { id: same }
        """, "model_list[1].model_info.id: duplicate id 'same' (also used by model_list[0])")]
    [InlineData("model_list: {}", "model_list: expected a list")]
    [InlineData("model_list: [just-a-string]", "model_list[0]: expected a mapping with model_name and litellm_params")]
    [InlineData("litellm_settings: { drop_params: sometimes }", "litellm_settings.drop_params: expected true or false, got 'sometimes'")]
    [InlineData("litellm_settings: { cache_params: { ttl: -1 } }", "litellm_settings.cache_params.ttl: must be at least 1, got -1")]
    [InlineData("litellm_settings: { fallbacks: [ { claude-sonnet: fast } ] }", "litellm_settings.fallbacks[0].claude-sonnet: expected a list of model groups")]
    [InlineData("router_settings: { timeout: -1 }", "router_settings.timeout: must be greater than 0 seconds, got -1")]
    [InlineData("general_settings: { alerting: slack }", "general_settings.alerting: expected a list")]
    [InlineData("- just\n- a list", "config.yaml: expected a mapping with model_list, litellm_settings, router_settings and general_settings at the top level")]
    public void InvalidDocumentsNameTheirPath(string yaml, string expected)
    {
        var error = Assert.Throws<GatewayConfigException>(() => Load(yaml));

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void YamlSyntaxErrorGivesLineAndColumn()
    {
        var yaml = "model_list:\n  - model_name: m\n    litellm_params: { model: mock/x\n";

        var error = Assert.Throws<GatewayConfigException>(() => Load(yaml));

        Assert.Equal("config.yaml: YAML syntax error at line 4, column 1: While parsing a flow mapping, did not find expected ',' or '}'.", error.Message);
    }

    [Fact]
    public void DuplicateKeyIsASyntaxErrorWithLineAndColumn()
    {
        var yaml = "general_settings:\n  master_key: a\n  master_key: b\n";

        var error = Assert.Throws<GatewayConfigException>(() => Load(yaml));

        Assert.StartsWith("config.yaml: YAML syntax error at line 3, column 3: ", error.Message);
    }

    [Fact]
    public void MissingFileIsNamedWithItsFullPath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.yaml");

        var error = Assert.Throws<GatewayConfigException>(() =>
            GatewayConfigLoader.Load(path, Section(null), Environment(null)));

        Assert.Equal($"{path}: config file not found", error.Message);
    }
}
