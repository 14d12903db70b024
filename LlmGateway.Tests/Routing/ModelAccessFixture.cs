using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Routing;

/// <summary>
/// One Api over a fake upstream (10 prompt and 100 completion tokens a call) with two access groups and a wildcard
/// deployment <c>anthropic/*</c> next to an exact group <c>anthropic/claude-exact</c>.
/// </summary>
public sealed class ModelAccessFixture(TestServers servers) : IAsyncLifetime
{
    private GatewayConfigFile config = null!;

    public FakeProviderServer Upstream { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Upstream = await FakeProviderServer.StartAsync();
        Upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };
        config = new GatewayConfigFile($"""
            model_list:
              - model_name: "beta-a"
                litellm_params: {Params("openai/beta-a")}
                model_info: {Info("[beta-models]")}
              - model_name: "beta-b"
                litellm_params: {Params("openai/beta-b")}
                model_info: {Info("[beta-models, all-betas]")}
              - model_name: "internal-c"
                litellm_params: {Params("openai/internal-c")}
                model_info: {Info("[internal-models]")}
              - model_name: "anthropic/*"
                litellm_params: {Wildcard()}
              - model_name: "anthropic/claude-exact"
                litellm_params: {Params("openai/exact-upstream")}
                model_info: {Info("[]")}
            """);
        Api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(), config.Settings());
    }

    private string Params(string model) => $"{{ model: \"{model}\", api_base: \"{Upstream.OpenAiBase}\", api_key: \"sk-upstream-openai\" }}";

    private string Wildcard() => $"{{ model: \"anthropic/*\", api_base: \"{Upstream.AnthropicBase}\", api_key: \"sk-upstream-anthropic\" }}";

    private static string Info(string groups) => $"{{ access_groups: {groups}, input_cost_per_token: 0, output_cost_per_token: 0.0001 }}";

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await Upstream.DisposeAsync();
        config.Dispose();
    }
}
