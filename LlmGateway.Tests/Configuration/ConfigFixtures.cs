using LlmGateway.Api.Configuration;
using Microsoft.Extensions.Configuration;

namespace LlmGateway.Tests.Configuration;

/// <summary>The founding blueprint's config and helpers to load YAML with a fake environment.</summary>
internal static class ConfigFixtures
{
    public const string BlueprintYaml = """
        model_list:
          - model_name: "claude-sonnet"
            litellm_params:
              model: "anthropic/claude-sonnet-4-20250514"
              api_key: "os.environ/ANTHROPIC_API_KEY"
              max_tokens: 8192
              timeout: 120
            model_info:
              input_cost_per_token: 0.000003
              output_cost_per_token: 0.000015
          - model_name: "claude-sonnet"          # same name = automatic fallback
            litellm_params:
              model: "openai/gpt-4o"
              api_key: "os.environ/OPENAI_API_KEY"
              max_tokens: 8192
              timeout: 120
            model_info:
              input_cost_per_token: 0.0000025
              output_cost_per_token: 0.00001
          - model_name: "fast"
            litellm_params:
              model: "anthropic/claude-haiku-4-5-20251001"
              api_key: "os.environ/ANTHROPIC_API_KEY"
              max_tokens: 4096
              timeout: 30
        litellm_settings:
          drop_params: true
          set_verbose: false
          cache: true
          cache_params:
            type: "redis"
            host: "os.environ/REDIS_HOST"
            port: 6379
            ttl: 3600
        general_settings:
          master_key: "os.environ/LITELLM_MASTER_KEY"
          database_url: "os.environ/DATABASE_URL"
          alerting: ["slack"]
          alert_types: ["llm_exceptions", "budget_alerts"]
        """;

    public static readonly Dictionary<string, string?> BlueprintEnvironment = new()
    {
        ["ANTHROPIC_API_KEY"] = "sk-ant-test",
        ["OPENAI_API_KEY"] = "sk-openai-test",
        ["REDIS_HOST"] = "redis.local",
        ["LITELLM_MASTER_KEY"] = "sk-master-test",
        ["DATABASE_URL"] = "postgres://u:p@db/gateway",
    };

    public static GatewayConfigLoadResult Load(string yaml, IDictionary<string, string?>? environment = null,
        IDictionary<string, string?>? gateway = null) =>
        GatewayConfigLoader.LoadText(yaml, Section(gateway), Environment(environment));

    public static Func<string, string?> Environment(IDictionary<string, string?>? values) =>
        name => values is not null && values.TryGetValue(name, out var value) ? value : null;

    /// <summary>A <c>Gateway</c> section from keys relative to it, e.g. <c>ModelList:0:Model</c>.</summary>
    public static IConfigurationSection Section(IDictionary<string, string?>? gateway) => new ConfigurationBuilder()
        .AddInMemoryCollection((gateway ?? new Dictionary<string, string?>()).ToDictionary(kv => $"Gateway:{kv.Key}", kv => kv.Value))
        .Build()
        .GetSection("Gateway");

    /// <summary>One deployment around the given litellm_params lines (indented by 6 spaces in the YAML).</summary>
    public static string Deployment(string litellmParams, string modelName = "m") => $"""
        model_list:
          - model_name: "{modelName}"
            litellm_params:
        {Indent(litellmParams, 6)}
        general_settings:
          master_key: sk-test
        """;

    private static string Indent(string lines, int spaces) =>
        string.Join('\n', lines.Split('\n').Select(line => new string(' ', spaces) + line.TrimEnd('\r')));
}
