namespace LlmGateway.Api.Configuration;

/// <summary>Provider prefixes of <c>litellm_params.model</c> and how each provider's base URL is found.</summary>
public static class ProviderEndpoints
{
    public static readonly Uri OpenAIPublic = new("https://api.openai.com/v1/");
    public static readonly Uri AnthropicPublic = new("https://api.anthropic.com/");
    public static readonly Uri OllamaLocal = new("http://localhost:11434/v1/");

    private static readonly Dictionary<string, ProviderKind> Prefixes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["openai"] = ProviderKind.OpenAI,
        ["azure"] = ProviderKind.AzureOpenAI,
        ["anthropic"] = ProviderKind.Anthropic,
        ["hosted_vllm"] = ProviderKind.HostedVllm,
        ["ollama"] = ProviderKind.Ollama,
        ["ollama_chat"] = ProviderKind.Ollama,
        ["openai_compatible"] = ProviderKind.OpenAICompatible,
        ["custom_openai"] = ProviderKind.OpenAICompatible,
        ["mock"] = ProviderKind.Mock,
    };

    /// <summary>The known prefixes, without their slash.</summary>
    public static IReadOnlyCollection<string> KnownPrefixes => Prefixes.Keys;

    /// <summary>Splits <c>"anthropic/claude-sonnet-4-20250514"</c> into the provider and the model id after the first '/'.</summary>
    /// <exception cref="GatewayConfigException">No prefix, an unknown prefix, or nothing after it.</exception>
    public static (ProviderKind Provider, string ProviderModel) ParseModel(string path, string model)
    {
        var slash = model.IndexOf('/');
        if (slash < 0)
            throw new GatewayConfigException(path, $"'{model}' has no provider prefix (expected e.g. 'openai/{model}')");
        var prefix = model[..slash];
        if (!Prefixes.TryGetValue(prefix, out var provider))
            throw new GatewayConfigException(path, $"unknown provider '{prefix}'");
        var id = model[(slash + 1)..].Trim();
        if (id.Length == 0)
            throw new GatewayConfigException(path, $"no model id after '{prefix}/'");
        return (provider, id);
    }

    /// <summary>
    /// The base URL of a deployment, in this order: its <c>api_base</c>; then the environment variables the official
    /// SDKs and LiteLLM read (OpenAI: <c>OPENAI_BASE_URL</c>, <c>OPENAI_API_BASE</c>; Anthropic: <c>ANTHROPIC_BASE_URL</c>,
    /// <c>ANTHROPIC_API_BASE</c>; Azure: <c>AZURE_API_BASE</c>; vLLM: <c>HOSTED_VLLM_API_BASE</c>; Ollama:
    /// <c>OLLAMA_API_BASE</c>); then the public URL (<c>https://api.openai.com/v1</c>, <c>https://api.anthropic.com</c>,
    /// Ollama <c>http://localhost:11434</c>). Azure, hosted_vllm and openai_compatible have no default: they need one.
    /// Normalisation: OpenAI-compatible bases are used as given (LiteLLM users write <c>http://host:8000/v1</c>; no
    /// <c>/v1</c> is added), except Ollama, whose <c>/v1</c> is appended when missing; an Anthropic base loses a
    /// trailing <c>/v1</c> or <c>/v1/messages</c> (the adapter adds it). Every result ends in '/', so adapters combine
    /// it with relative paths such as <c>chat/completions</c>. <c>mock/</c> has none (null).
    /// </summary>
    /// <param name="path">Path of the <c>api_base</c> key, for errors.</param>
    /// <param name="provider">The deployment's provider.</param>
    /// <param name="apiBase">The <c>api_base</c> value, already resolved from <c>os.environ/</c>; null when not given.</param>
    /// <param name="environment">Reads an environment variable.</param>
    /// <exception cref="GatewayConfigException">A required base URL is missing, or a value is not an absolute http(s) URL.</exception>
    public static Uri? ResolveBaseUrl(string path, ProviderKind provider, string? apiBase, Func<string, string?> environment)
    {
        string? source = path;
        var given = apiBase;
        if (string.IsNullOrWhiteSpace(given))
            (source, given) = FromEnvironment(provider, environment);
        if (string.IsNullOrWhiteSpace(given))
        {
            return provider switch
            {
                ProviderKind.OpenAI => OpenAIPublic,
                ProviderKind.Anthropic => AnthropicPublic,
                ProviderKind.Ollama => OllamaLocal,
                ProviderKind.Mock => null,
                ProviderKind.AzureOpenAI => throw new GatewayConfigException(path, "is required for azure/ deployments (or set AZURE_API_BASE)"),
                ProviderKind.HostedVllm => throw new GatewayConfigException(path, "is required for hosted_vllm/ deployments (or set HOSTED_VLLM_API_BASE)"),
                _ => throw new GatewayConfigException(path, "is required for openai_compatible/ deployments"),
            };
        }

        // The value itself is not echoed: a base URL sometimes carries a token in its query string.
        if (!Uri.TryCreate(given.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new GatewayConfigException(source ?? path, "is not an absolute http or https URL");

        var basePath = uri.AbsolutePath.TrimEnd('/');
        if (provider == ProviderKind.Ollama && !basePath.EndsWith("/v1", StringComparison.Ordinal))
            basePath += "/v1";
        if (provider == ProviderKind.Anthropic)
            basePath = TrimSuffix(TrimSuffix(basePath, "/messages"), "/v1");
        return new UriBuilder(uri) { Path = basePath + "/" }.Uri;
    }

    private static (string? Source, string? Value) FromEnvironment(ProviderKind provider, Func<string, string?> environment)
    {
        string[] names = provider switch
        {
            ProviderKind.OpenAI => ["OPENAI_BASE_URL", "OPENAI_API_BASE"],
            ProviderKind.Anthropic => ["ANTHROPIC_BASE_URL", "ANTHROPIC_API_BASE"],
            ProviderKind.AzureOpenAI => ["AZURE_API_BASE"],
            ProviderKind.HostedVllm => ["HOSTED_VLLM_API_BASE"],
            ProviderKind.Ollama => ["OLLAMA_API_BASE"],
            _ => [],
        };
        foreach (var name in names)
        {
            if (environment(name) is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value))
                return (name, value);
        }
        return (null, null);
    }

    private static string TrimSuffix(string value, string suffix) =>
        value.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) ? value[..^suffix.Length] : value;
}
