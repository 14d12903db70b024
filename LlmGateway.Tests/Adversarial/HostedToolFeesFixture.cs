using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// One gateway in front of one fake serving both wire formats, every deployment at $0.000001 a prompt token and $0.0001 an
/// output token, at most 100 output tokens, hosted tools allowed: <c>claude-searcher</c> (Anthropic, the built-in $0.01 a
/// search, web fetches at $0.001 from <c>web_fetch_cost_per_query</c>), <c>gpt-searcher</c> (OpenAI Responses, LiteLLM's
/// <c>search_context_cost_per_query</c> map: the medium $0.03 billed), <c>chat-searcher</c> (OpenAI chat, $0.04 a search),
/// <c>search-preview</c> (<c>gpt-4o-search-preview</c>, the built-in $0.035) and <c>gpt-tools</c> (OpenAI Responses, file
/// search at LiteLLM's <c>file_search_cost_per_1k_calls</c> $2.50, code interpreter at the built-in $0.03 a container).
/// </summary>
public sealed class HostedToolFeesFixture(TestServers servers) : IAsyncLifetime
{
    public const decimal InputRate = 0.000001m;
    public const decimal OutputRate = 0.0001m;

    private GatewayConfigFile config = null!;

    public FakeProviderServer Upstream { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Upstream = await FakeProviderServer.StartAsync();
        const string Prices = "input_cost_per_token: 0.000001, output_cost_per_token: 0.0001, max_output_tokens: 100";
        config = new GatewayConfigFile($$"""
            model_list:
              - model_name: "claude-searcher"
                litellm_params: { model: "anthropic/claude-test", api_base: "{{Upstream.AnthropicBase}}", api_key: "sk-upstream" }
                model_info: { {{Prices}}, web_fetch_cost_per_query: 0.001, allowed_premium: ["web_search", "web_fetch"] }
              - model_name: "gpt-searcher"
                litellm_params: { model: "openai/gpt-test", api_base: "{{Upstream.OpenAiBase}}", api_key: "sk-upstream" }
                model_info:
                  input_cost_per_token: 0.000001
                  output_cost_per_token: 0.0001
                  max_output_tokens: 100
                  allowed_premium: ["web_search"]
                  search_context_cost_per_query: { search_context_size_low: 0.02, search_context_size_medium: 0.03, search_context_size_high: 0.05 }
              - model_name: "chat-searcher"
                litellm_params: { model: "openai/gpt-test", api_base: "{{Upstream.OpenAiBase}}", api_key: "sk-upstream", use_responses_api: false }
                model_info: { {{Prices}}, search_context_cost_per_query: 0.04, allowed_premium: ["web_search"] }
              - model_name: "gpt-tools"
                litellm_params: { model: "openai/gpt-test", api_base: "{{Upstream.OpenAiBase}}", api_key: "sk-upstream" }
                model_info: { {{Prices}}, file_search_cost_per_1k_calls: 2.5, allowed_premium: ["file_search", "code_execution"] }
              - model_name: "search-preview"
                litellm_params: { model: "openai/gpt-4o-search-preview", api_base: "{{Upstream.OpenAiBase}}", api_key: "sk-upstream", use_responses_api: false }
                model_info: { {{Prices}} }
            """);
        var database = await servers.CreateDatabaseAsync();
        var redis = await servers.CreateRedisAsync();
        Api = await GatewayApiHost.StartAsync(database, redis, config.Settings(("Gateway:Spend:PollInterval", "00:00:00.050")));
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await Upstream.DisposeAsync();
        config.Dispose();
    }

    /// <summary>A team and a key in it through the management API; returns the raw key.</summary>
    public async Task<string> KeyAsync(object team)
    {
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return (await ManagementCalls.CreateTeamAndKeyAsync(admin, team, null, TestContext.Current.CancellationToken)).Key;
    }

    /// <summary>The spend of each of the key's ledger rows, once <paramref name="count"/> are written; bounded.</summary>
    public async Task<decimal[]> SpendsAsync(string key, int count)
    {
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var rows = Array.Empty<JsonElement>();
        await LocalProcess.WaitUntilAsync(async () =>
        {
            rows = await admin.GetFromJsonAsync<JsonElement[]>($"/spend/logs?api_key={Uri.EscapeDataString(key)}", TestContext.Current.CancellationToken) ?? [];
            return rows.Length >= count;
        }, TimeSpan.FromSeconds(30), $"{count} ledger row(s) of the key");
        return [.. rows.Select(r => r.GetProperty("spend").GetDecimal())];
    }
}
