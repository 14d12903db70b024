using System.Security.Cryptography;
using System.Text;

namespace LlmGateway.Api.Configuration;

/// <summary>Turns one model list entry into a <see cref="DeploymentConfig"/>, whichever source it came from.</summary>
/// <param name="Index">Position in the combined model list.</param>
/// <param name="Entry">Holds <c>model_name</c>.</param>
/// <param name="Params">Holds the <c>litellm_params</c> keys.</param>
/// <param name="Info">Holds the <c>model_info</c> keys; null when there is none.</param>
/// <param name="Stored">Kept in the database (<c>/model/new</c>) rather than in the config.</param>
internal sealed record DeploymentSource(int Index, SettingsMap Entry, SettingsMap Params, SettingsMap? Info, bool Stored = false);

internal static class DeploymentReader
{
    public static DeploymentConfig Read(DeploymentSource source, ConfigContext context)
    {
        var (index, entry, p, info, _) = source;
        var modelName = entry.String("model_name")?.Trim();
        if (modelName is null)
            throw entry.Invalid("model_name", "is required");
        if (modelName.Length == 0)
            throw entry.Invalid("model_name", "must not be empty");

        var model = p.String("model")?.Trim();
        if (string.IsNullOrEmpty(model))
            throw p.Invalid("model", "is required");
        var (provider, providerModel) = ProviderEndpoints.ParseModel(p.PathOf("model"), model);

        var apiKey = p.String("api_key", out var missingKeyVariable);
        if (missingKeyVariable is not null)
            context.Warn($"{p.PathOf("api_key")}: environment variable {missingKeyVariable} is not set; deployment '{modelName}' #{index} has no API key");

        var modelInfo = ReadModelInfo(info);
        return new DeploymentConfig
        {
            ModelName = modelName,
            Id = modelInfo.Id ?? StableId(modelName, index, model),
            Index = index,
            Provider = provider,
            ProviderModel = providerModel,
            ApiKey = apiKey,
            ApiBase = ProviderEndpoints.ResolveBaseUrl(p.PathOf("api_base"), provider, p.String("api_base"), context.Environment),
            ApiVersion = p.String("api_version"),
            MaxTokens = p.Int("max_tokens", min: 1),
            Timeout = p.Seconds("timeout"),
            StreamTimeout = p.Seconds("stream_timeout"),
            FirstByteTimeout = FirstByteTimeout(p),
            Rpm = p.Int("rpm"),
            Tpm = p.Int("tpm"),
            Weight = p.Double("weight"),
            Order = p.Int("order"),
            NoRetryWhenPossiblyBilled = p.Bool("no_retry_when_possibly_billed") ?? false,
            UseResponsesApi = UseResponsesApi(p, provider),
            UseCompletionsApi = UseCompletionsApi(p, provider, providerModel),
            MockResponse = p.String("mock_response"),
            MockLatencyMs = p.Int("mock_latency_ms"),
            MockFailure = ReadMockFailure(p),
            ModelInfo = modelInfo,
            StoredInDatabase = source.Stored,
        };
    }

    /// <summary>A short hash of what identifies the entry, so ids survive restarts without being configured.</summary>
    public static string StableId(string modelName, int index, string model)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{modelName}\n{index}\n{model}"));
        return Convert.ToHexStringLower(hash)[..12];
    }

    private static TimeSpan? FirstByteTimeout(SettingsMap p)
    {
        var ttfb = p.Seconds("ttfb_timeout");
        var alias = p.Seconds("first_byte_timeout");
        if (ttfb is not null && alias is not null)
            throw p.Invalid("first_byte_timeout", "set either ttfb_timeout or first_byte_timeout, not both");
        return ttfb ?? alias;
    }

    /// <summary>OpenAI and Azure OpenAI speak the Responses API unless told not to; other OpenAI-compatible servers only when told.</summary>
    private static bool UseResponsesApi(SettingsMap p, ProviderKind provider)
    {
        var value = p.Bool("use_responses_api");
        if (value == true && provider is ProviderKind.Anthropic or ProviderKind.Mock)
            throw p.Invalid("use_responses_api", "only OpenAI-compatible deployments (openai/, azure/, hosted_vllm/, ollama/, openai_compatible/) can speak the Responses API");
        return value ?? provider is ProviderKind.OpenAI or ProviderKind.AzureOpenAI;
    }

    /// <summary>OpenAI's completions models speak the legacy completions API; other OpenAI-compatible servers only when told.</summary>
    private static bool UseCompletionsApi(SettingsMap p, ProviderKind provider, string providerModel)
    {
        var value = p.Bool("use_completions_api");
        if (value == true && provider is ProviderKind.Anthropic or ProviderKind.Mock)
            throw p.Invalid("use_completions_api", "only OpenAI-compatible deployments (openai/, azure/, hosted_vllm/, ollama/, openai_compatible/) can speak the completions API");
        return value ?? (provider is ProviderKind.OpenAI or ProviderKind.AzureOpenAI
            && (providerModel.Contains("-instruct", StringComparison.OrdinalIgnoreCase) || providerModel is "davinci-002" or "babbage-002"));
    }

    private static MockFailure? ReadMockFailure(SettingsMap p)
    {
        var rate = p.Double("mock_failure_rate");
        if (rate > 1)
            throw p.Invalid("mock_failure_rate", "must be between 0 and 1");
        var status = p.Int("mock_status");
        if (status is < 400 or > 599)
            throw p.Invalid("mock_status", $"must be an HTTP error status (400 to 599), got {status}");
        return rate is null && status is null ? null : new MockFailure(rate ?? 1, status ?? 500);
    }

    private static ModelInfo ReadModelInfo(SettingsMap? info) => info is null ? ModelInfo.Empty : new ModelInfo
    {
        Id = info.String("id")?.Trim() is { Length: > 0 } id ? id : null,
        InputCostPerToken = info.Decimal("input_cost_per_token"),
        OutputCostPerToken = info.Decimal("output_cost_per_token"),
        CacheReadInputTokenCost = info.Decimal("cache_read_input_token_cost"),
        CacheCreationInputTokenCost = info.Decimal("cache_creation_input_token_cost"),
        CacheCreationInputTokenCostAbove1Hr = info.Decimal("cache_creation_input_token_cost_above_1hr"),
        InputCostPerTokenAbove200k = info.Decimal("input_cost_per_token_above_200k_tokens"),
        OutputCostPerTokenAbove200k = info.Decimal("output_cost_per_token_above_200k_tokens"),
        InputCostPerAudioToken = info.Decimal("input_cost_per_audio_token"),
        OutputCostPerAudioToken = info.Decimal("output_cost_per_audio_token"),
        InputCostPerTokenPriority = info.Decimal("input_cost_per_token_priority"),
        OutputCostPerTokenPriority = info.Decimal("output_cost_per_token_priority"),
        SearchContextCostPerQuery = SearchFee(info),
        WebFetchCostPerQuery = info.Decimal("web_fetch_cost_per_query"),
        FileSearchCostPer1kCalls = info.Decimal("file_search_cost_per_1k_calls"),
        CodeInterpreterCostPerSession = info.Decimal("code_interpreter_cost_per_session"),
        MaxTokens = info.Int("max_tokens", min: 1),
        MaxInputTokens = info.Int("max_input_tokens", min: 1),
        MaxOutputTokens = info.Int("max_output_tokens", min: 1),
        Mode = info.String("mode"),
        SupportsVision = info.Bool("supports_vision"),
        SupportsFunctionCalling = info.Bool("supports_function_calling"),
        AllowedPremium = info.StringList("allowed_premium"),
        AccessGroups = info.StringList("access_groups"),
        Blocked = info.Bool("blocked") ?? false,
    };

    /// <summary>LiteLLM's <c>search_context_cost_per_query</c>: one number, or a map by search context size (the medium one billed).</summary>
    private static decimal? SearchFee(SettingsMap info)
    {
        if (info.Child("search_context_cost_per_query") is not { } sizes)
        {
            return info.Decimal("search_context_cost_per_query");
        }

        var (low, medium, high) = (sizes.Decimal("search_context_size_low"), sizes.Decimal("search_context_size_medium"), sizes.Decimal("search_context_size_high"));
        return medium ?? high ?? low;
    }
}
