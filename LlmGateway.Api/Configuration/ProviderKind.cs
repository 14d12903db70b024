namespace LlmGateway.Api.Configuration;

/// <summary>The upstream API family a deployment speaks, taken from the prefix of <c>litellm_params.model</c>.</summary>
public enum ProviderKind
{
    /// <summary><c>openai/</c>: OpenAI's public API (or any base URL given for it).</summary>
    OpenAI,
    /// <summary><c>azure/</c>: Azure OpenAI; the model id is the Azure deployment name.</summary>
    AzureOpenAI,
    /// <summary><c>anthropic/</c>: Anthropic's Messages API.</summary>
    Anthropic,
    /// <summary><c>hosted_vllm/</c>: a vLLM server's OpenAI-compatible API.</summary>
    HostedVllm,
    /// <summary><c>ollama/</c> and <c>ollama_chat/</c>: Ollama's OpenAI-compatible <c>/v1</c> API.</summary>
    Ollama,
    /// <summary><c>openai_compatible/</c> and <c>custom_openai/</c>: any OpenAI-compatible server.</summary>
    OpenAICompatible,
    /// <summary><c>mock/</c>: the built-in provider that answers without a network call.</summary>
    Mock,
}
