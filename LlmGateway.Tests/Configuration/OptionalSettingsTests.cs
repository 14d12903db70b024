using LlmGateway.Api.Configuration;
using static LlmGateway.Tests.Configuration.ConfigFixtures;

namespace LlmGateway.Tests.Configuration;

public class OptionalSettingsTests
{
    private const string Yaml = """
        model_list:
          - model_name: demo
            litellm_params:
              model: mock/demo
              stream_timeout: 5
              first_byte_timeout: 2.5
              weight: 0.5
              tpm: 100000
              no_retry_when_possibly_billed: true
              mock_response: "hello"
              mock_latency_ms: 20
              mock_failure_rate: 0.25
            model_info:
              id: demo-1
              max_output_tokens: 1024
              mode: chat
              supports_vision: true
              supports_function_calling: false
              cache_read_input_token_cost: 0.0000003
          - model_name: vllm
            litellm_params: { model: hosted_vllm/llama, api_base: "http://vllm:8000/v1", ttfb_timeout: 3, mock_status: 503 }
        litellm_settings:
          num_retries: 2
          request_timeout: 600
          allowed_fails: 3
          cooldown_time: 30
          fallbacks: [{"demo": ["vllm"]}]
          context_window_fallbacks: [{"vllm": ["demo"]}]
          cache_params: { type: local, namespace: gw }
        router_settings:
          routing_strategy: least-busy
          num_retries: 1
          allowed_fails: 2
          cooldown_time: 10.5
          timeout: 30
        general_settings:
          master_key: sk-x
          alerting_threshold: 300
          health_check_interval: 60
        """;

    [Fact]
    public void DeploymentTimeoutsMockSettingsAndModelInfoAreRead()
    {
        var (demo, vllm) = (Load(Yaml).Config.Deployments[0], Load(Yaml).Config.Deployments[1]);

        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2.5)), (demo.StreamTimeout, demo.FirstByteTimeout));
        Assert.Equal((0.5, 100000, true), (demo.Weight, demo.Tpm, demo.NoRetryWhenPossiblyBilled));
        Assert.Equal(("hello", 20), (demo.MockResponse, demo.MockLatencyMs));
        Assert.Equal(new MockFailure(0.25, 500), demo.MockFailure);
        Assert.Equal("demo-1", demo.Id);
        Assert.Equal((1024, "chat", true, false), (demo.ModelInfo.MaxOutputTokens, demo.ModelInfo.Mode, demo.ModelInfo.SupportsVision, demo.ModelInfo.SupportsFunctionCalling));
        Assert.Equal(0.0000003m, demo.ModelInfo.CacheReadInputTokenCost);
        Assert.Equal(TimeSpan.FromSeconds(3), vllm.FirstByteTimeout);
        Assert.Equal(new MockFailure(1, 503), vllm.MockFailure);
        Assert.Null(demo.ApiBase);
    }

    [Fact]
    public void LitellmRouterAndGeneralSettingsAreRead()
    {
        var (config, warnings) = Load(Yaml);

        var litellm = config.LitellmSettings;
        Assert.Equal((2, 600.0, 3, 30.0), (litellm.NumRetries, litellm.RequestTimeout, litellm.AllowedFails, litellm.CooldownTime));
        Assert.Equal("demo", Assert.Single(litellm.Fallbacks).ModelGroup);
        Assert.Equal(["vllm"], litellm.Fallbacks[0].Fallbacks);
        Assert.Equal(["demo"], Assert.Single(litellm.ContextWindowFallbacks).Fallbacks);
        Assert.Equal(("local", "gw", 3600), (litellm.CacheParams.Type, litellm.CacheParams.Namespace, litellm.CacheParams.Ttl));
        var router = config.RouterSettings;
        Assert.Equal(("least-busy", 1, 2, 10.5, 30.0), (router.RoutingStrategy, router.NumRetries, router.AllowedFails, router.CooldownTime, router.Timeout));
        Assert.Equal((300.0, 60), (config.GeneralSettings.AlertingThreshold, config.GeneralSettings.HealthCheckInterval));
        Assert.Empty(warnings);
    }
}
