namespace LlmGateway.Api.Configuration;

/// <summary>Reads <c>Gateway:ModelList:N</c> entries: one flat section per deployment with PascalCase keys.</summary>
internal static class GatewaySection
{
    // model_info's max_tokens would clash with litellm_params' in a flat section.
    private static readonly Dictionary<string, string> InfoRenames = new() { ["max_tokens"] = "ModelMaxTokens" };

    private static readonly HashSet<string> KnownKeys = new(
        new[]
        {
            "model_name", "model", "api_key", "api_base", "api_version", "max_tokens", "timeout", "stream_timeout",
            "ttfb_timeout", "first_byte_timeout", "rpm", "tpm", "weight", "order", "no_retry_when_possibly_billed",
            "use_responses_api", "use_completions_api",
            "mock_response", "mock_latency_ms", "mock_failure_rate", "mock_status",
            "id", "input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
            "cache_creation_input_token_cost", "cache_creation_input_token_cost_above_1hr", "model_max_tokens",
            "max_input_tokens", "max_output_tokens", "mode", "supports_vision", "supports_function_calling", "allowed_premium",
            "input_cost_per_token_above_200k_tokens", "output_cost_per_token_above_200k_tokens",
            "input_cost_per_token_priority", "output_cost_per_token_priority",
            "search_context_cost_per_query", "web_fetch_cost_per_query",
        }.Select(Normalize),
        StringComparer.OrdinalIgnoreCase);

    public static IEnumerable<DeploymentConfig> ReadModelList(IConfiguration gateway, string gatewayPath, int firstIndex, ConfigContext context)
    {
        var index = firstIndex;
        foreach (var item in gateway.GetSection("ModelList").GetChildren())
        {
            var path = $"{gatewayPath}:ModelList:{item.Key}";
            var entry = new SectionSettingsMap(item, path, context);
            var info = new SectionSettingsMap(item, path, context, InfoRenames);
            yield return DeploymentReader.Read(new DeploymentSource(index++, entry, entry, info), context);
            foreach (var child in item.GetChildren().Where(c => !KnownKeys.Contains(Normalize(c.Key))))
                context.Unsupported($"{path}:{child.Key}");
        }
    }

    private static string Normalize(string key) => key.Replace("_", "", StringComparison.Ordinal);
}
