using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Caching;

/// <summary>
/// A fake OpenAI and Anthropic upstream where every answer costs $0.002 (20 output tokens at $0.0001), and two Api hosts
/// with <c>litellm_settings.cache: true</c> over one Postgres and one Redis: the default (team scope) and one with
/// <c>Gateway:Cache:Scope=global</c>.
/// </summary>
public sealed class CacheFixture(TestServers servers) : IAsyncLifetime
{
    public const string Gpt = "gpt-cache";
    public const string Claude = "claude-cache";
    public const string Embed = "embed-cache";
    public const decimal CallCost = 0.002m;

    private readonly string dataDirectory = Spend.SpendTestData.NewDataDirectory();
    private GatewayConfigFile config = null!;

    public FakeProviderServer Upstream { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;
    public GatewayApiHost GlobalApi { get; private set; } = null!;
    public string Database { get; private set; } = "";
    public string Redis { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Upstream = await FakeProviderServer.StartAsync();
        Upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 20 };
        config = new GatewayConfigFile(Yaml(Upstream));
        Database = await servers.CreateDatabaseAsync();
        Redis = await servers.CreateRedisAsync();
        Api = await GatewayApiHost.StartAsync(Database, Redis, config.Settings([.. Spend.SpendTestData.Settings(dataDirectory).Select(s => (s.Key, s.Value))]));
        GlobalApi = await GatewayApiHost.StartAsync(Database, Redis, config.Settings(
            [.. Spend.SpendTestData.Settings(dataDirectory + "-global").Select(s => (s.Key, s.Value)), ("Gateway:Cache:Scope", "global")]));
    }

    public async ValueTask DisposeAsync()
    {
        await GlobalApi.DisposeAsync();
        await Api.DisposeAsync();
        await Upstream.DisposeAsync();
        config.Dispose();
        Spend.SpendTestData.DeleteDirectory(dataDirectory);
        Spend.SpendTestData.DeleteDirectory(dataDirectory + "-global");
    }

    public static string Yaml(FakeProviderServer upstream) => $"""
        model_list:
          - model_name: "{Gpt}"
            litellm_params:
              model: "openai/gpt-test"
              api_base: "{upstream.OpenAiBase}"
              api_key: "sk-upstream-openai"
            model_info:
              input_cost_per_token: 0
              output_cost_per_token: 0.0001
          - model_name: "{Claude}"
            litellm_params:
              model: "anthropic/claude-test"
              api_base: "{upstream.AnthropicBase}"
              api_key: "sk-upstream-anthropic"
            model_info:
              input_cost_per_token: 0
              output_cost_per_token: 0.0001
          - model_name: "{Embed}"
            litellm_params:
              model: "openai/text-embedding-3-small"
              api_base: "{upstream.OpenAiBase}"
              api_key: "sk-upstream-openai"
            model_info:
              input_cost_per_token: 0.0001
              output_cost_per_token: 0
        litellm_settings:
          cache: true
          cache_params:
            type: "redis"
            ttl: 3600
        """;

    /// <summary>Creates a team and a key through the management API; returns (team id, raw key).</summary>
    public static async Task<(string TeamId, string Key)> CreateTeamAndKeyAsync(GatewayApiHost api, object? key = null)
    {
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = $"cache-team-{Guid.NewGuid():N}" }, key);
    }

    public Task<(string TeamId, string Key)> CreateTeamAndKeyAsync(object? key = null) => CreateTeamAndKeyAsync(Api, key);
}
