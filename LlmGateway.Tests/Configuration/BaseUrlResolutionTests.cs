using LlmGateway.Api.Configuration;
using static LlmGateway.Tests.Configuration.ConfigFixtures;

namespace LlmGateway.Tests.Configuration;

public class BaseUrlResolutionTests
{
    [Theory]
    // provider, api_base, environment "NAME=value", expected base URL
    [InlineData(ProviderKind.OpenAI, null, null, "https://api.openai.com/v1/")]
    [InlineData(ProviderKind.OpenAI, null, "OPENAI_BASE_URL=http://proxy:9000/v1", "http://proxy:9000/v1/")]
    [InlineData(ProviderKind.OpenAI, null, "OPENAI_API_BASE=http://legacy:9000/v1", "http://legacy:9000/v1/")]
    [InlineData(ProviderKind.OpenAI, "https://mine.example/v1/", "OPENAI_BASE_URL=http://proxy:9000/v1", "https://mine.example/v1/")]
    [InlineData(ProviderKind.Anthropic, null, null, "https://api.anthropic.com/")]
    [InlineData(ProviderKind.Anthropic, null, "ANTHROPIC_BASE_URL=http://claude-proxy", "http://claude-proxy/")]
    [InlineData(ProviderKind.Anthropic, null, "ANTHROPIC_API_BASE=http://claude-legacy", "http://claude-legacy/")]
    [InlineData(ProviderKind.Anthropic, "https://api.anthropic.com/v1/messages", null, "https://api.anthropic.com/")]
    [InlineData(ProviderKind.AzureOpenAI, "https://res.openai.azure.com", null, "https://res.openai.azure.com/")]
    [InlineData(ProviderKind.AzureOpenAI, null, "AZURE_API_BASE=https://env.openai.azure.com", "https://env.openai.azure.com/")]
    [InlineData(ProviderKind.HostedVllm, "http://vllm:8000/v1", null, "http://vllm:8000/v1/")]
    [InlineData(ProviderKind.HostedVllm, "http://vllm:8000", null, "http://vllm:8000/")]
    [InlineData(ProviderKind.HostedVllm, null, "HOSTED_VLLM_API_BASE=http://vllm-env:8000/v1", "http://vllm-env:8000/v1/")]
    [InlineData(ProviderKind.OpenAICompatible, "http://lmstudio:1234/v1", null, "http://lmstudio:1234/v1/")]
    [InlineData(ProviderKind.Ollama, null, null, "http://localhost:11434/v1/")]
    [InlineData(ProviderKind.Ollama, "http://gpu-box:11434", null, "http://gpu-box:11434/v1/")]
    [InlineData(ProviderKind.Ollama, "http://gpu-box:11434/v1/", null, "http://gpu-box:11434/v1/")]
    [InlineData(ProviderKind.Ollama, null, "OLLAMA_API_BASE=http://ollama-env:11434", "http://ollama-env:11434/v1/")]
    [InlineData(ProviderKind.Mock, null, null, null)]
    public void BaseUrlComesFromApiBaseThenEnvironmentThenPublicDefault(ProviderKind provider, string? apiBase, string? environment, string? expected)
    {
        var env = environment?.Split('=', 2) is [var name, var value] ? new Dictionary<string, string?> { [name] = value } : null;

        var resolved = ProviderEndpoints.ResolveBaseUrl("api_base", provider, apiBase, Environment(env));

        Assert.Equal(expected, resolved?.ToString());
    }

    [Fact]
    public void InvalidBaseUrlFromEnvironmentNamesTheVariable()
    {
        var env = new Dictionary<string, string?> { ["OPENAI_BASE_URL"] = "ftp://nope" };

        var error = Assert.Throws<GatewayConfigException>(() =>
            ProviderEndpoints.ResolveBaseUrl("model_list[0].litellm_params.api_base", ProviderKind.OpenAI, null, Environment(env)));

        Assert.Equal("OPENAI_BASE_URL: is not an absolute http or https URL", error.Message);
    }

    [Theory]
    [InlineData("openai/gpt-4o", ProviderKind.OpenAI, "gpt-4o")]
    [InlineData("azure/my-gpt4o-deployment", ProviderKind.AzureOpenAI, "my-gpt4o-deployment")]
    [InlineData("anthropic/claude-sonnet-4-20250514", ProviderKind.Anthropic, "claude-sonnet-4-20250514")]
    [InlineData("hosted_vllm/meta-llama/Llama-3.1-8B-Instruct", ProviderKind.HostedVllm, "meta-llama/Llama-3.1-8B-Instruct")]
    [InlineData("ollama/llama3", ProviderKind.Ollama, "llama3")]
    [InlineData("ollama_chat/llama3", ProviderKind.Ollama, "llama3")]
    [InlineData("openai_compatible/qwen", ProviderKind.OpenAICompatible, "qwen")]
    [InlineData("custom_openai/qwen", ProviderKind.OpenAICompatible, "qwen")]
    [InlineData("mock/anything", ProviderKind.Mock, "anything")]
    public void ProviderPrefixSelectsProviderAndKeepsTheRestAsModelId(string model, ProviderKind provider, string providerModel)
    {
        Assert.Equal((provider, providerModel), ProviderEndpoints.ParseModel("model", model));
    }
}
