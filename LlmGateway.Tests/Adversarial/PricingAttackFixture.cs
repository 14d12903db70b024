using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Two replicas (unknown prices refused, the default) and a third gateway with <c>Gateway:Pricing:UnknownPrice=allow</c>,
/// over one Postgres and one Redis, in front of two fake OpenAI upstreams. <c>priced</c> costs $0.000001 a prompt token and
/// $0.0001 an output token; <c>unpriced</c> has no price; <c>mixed</c> has one deployment of each; <c>falls-back</c> (on the
/// spare upstream) falls back to <c>unpriced</c>; <c>slow</c> waits 1 s at most for headers; <c>slow-then-spare</c> tries
/// a 1 s deployment on the first upstream, then one on the spare; <c>premium-ok</c> (priced) allows
/// <c>service_tier</c>, <c>web_search</c> and <c>context-1m</c>; <c>free-mock</c> is the built-in
/// mock, which costs nothing.
/// </summary>
public sealed class PricingAttackFixture(TestServers servers) : IAsyncLifetime
{
    public const decimal InputRate = 0.000001m;
    public const decimal OutputRate = 0.0001m;
    public static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(3);

    private GatewayConfigFile config = null!;

    public FakeProviderServer Upstream { get; private set; } = null!;
    public FakeProviderServer Spare { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;
    public GatewayApiHost Replica { get; private set; } = null!;
    public GatewayApiHost Allowing { get; private set; } = null!;
    public string Database { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Upstream = await FakeProviderServer.StartAsync();
        Spare = await FakeProviderServer.StartAsync();
        config = new GatewayConfigFile($$"""
            model_list:
              - model_name: "priced"
                litellm_params: {{Params(Upstream, "gpt-test")}}
                model_info: { id: "priced-1", input_cost_per_token: {{InputRate}}, output_cost_per_token: {{OutputRate}}, max_output_tokens: 100 }
              - model_name: "unpriced"
                litellm_params: {{Params(Upstream, "in-house-model")}}
                model_info: { id: "unpriced-1" }
              - model_name: "mixed"
                litellm_params: {{Params(Upstream, "gpt-test")}}
                model_info: { id: "mixed-priced", input_cost_per_token: {{InputRate}}, output_cost_per_token: {{OutputRate}} }
              - model_name: "mixed"
                litellm_params: {{Params(Upstream, "another-in-house-model")}}
                model_info: { id: "mixed-unpriced" }
              - model_name: "falls-back"
                litellm_params: {{Params(Spare, "gpt-test")}}
                model_info: { id: "falls-back-1", input_cost_per_token: {{InputRate}}, output_cost_per_token: {{OutputRate}} }
              - model_name: "slow"
                litellm_params: {{Params(Upstream, "gpt-test", "timeout: 1")}}
                model_info: { id: "slow-1", input_cost_per_token: {{InputRate}}, output_cost_per_token: {{OutputRate}} }
              - model_name: "slow-then-spare"
                litellm_params: {{Params(Upstream, "gpt-test", "timeout: 1, order: 1")}}
                model_info: { id: "slow-then-spare-1", input_cost_per_token: {{InputRate}}, output_cost_per_token: {{OutputRate}} }
              - model_name: "slow-then-spare"
                litellm_params: {{Params(Spare, "gpt-test", "order: 2")}}
                model_info: { id: "slow-then-spare-2", input_cost_per_token: {{InputRate}}, output_cost_per_token: {{OutputRate}} }
              - model_name: "premium-ok"
                litellm_params: {{Params(Upstream, "gpt-test")}}
                model_info: { id: "premium-ok-1", input_cost_per_token: {{InputRate}}, output_cost_per_token: {{OutputRate}}, allowed_premium: ["service_tier", "web_search", "context-1m"] }
              - model_name: "free-mock"
                litellm_params: { model: "mock/free" }
            litellm_settings:
              fallbacks: [{ "falls-back": ["unpriced"] }]
            """);
        Database = await servers.CreateDatabaseAsync();
        var redis = await servers.CreateRedisAsync();
        // A drain after a client left is bounded by 3 s here (30 s by default), so the estimate of an unanswered request shows soon.
        var settings = config.Settings(("Gateway:Spend:PollInterval", "00:00:00.050"), ("Gateway:DisconnectDrainTimeout", DrainBound.ToString()));
        Api = await GatewayApiHost.StartAsync(Database, redis, settings);
        Replica = await GatewayApiHost.StartAsync(Database, redis, settings);
        Allowing = await GatewayApiHost.StartAsync(Database, redis, new Dictionary<string, string?>(settings) { ["Gateway:Pricing:UnknownPrice"] = "allow" });
    }

    public async ValueTask DisposeAsync()
    {
        await Allowing.DisposeAsync();
        await Replica.DisposeAsync();
        await Api.DisposeAsync();
        await Spare.DisposeAsync();
        await Upstream.DisposeAsync();
        config.Dispose();
    }

    private static string Params(FakeProviderServer upstream, string model, string? more = null) =>
        $"{{ model: \"openai/{model}\", api_base: \"{upstream.OpenAiBase}\", api_key: \"sk-upstream\"{(more is null ? "" : ", " + more)} }}";

    /// <summary>A team and a key in it through the management API; returns (team id, raw key).</summary>
    public async Task<(string TeamId, string Key)> CreateTeamAndKeyAsync(object team, object? key = null)
    {
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return await ManagementCalls.CreateTeamAndKeyAsync(admin, team, key, TestContext.Current.CancellationToken);
    }

    /// <summary>The key's ledger rows (<c>/spend/logs</c>), once <paramref name="count"/> are written; bounded.</summary>
    public async Task<JsonElement[]> LedgerRowsAsync(string key, int count = 1)
    {
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var rows = Array.Empty<JsonElement>();
        await LocalProcess.WaitUntilAsync(async () =>
        {
            rows = await admin.GetFromJsonAsync<JsonElement[]>($"/spend/logs?api_key={Uri.EscapeDataString(key)}", TestContext.Current.CancellationToken) ?? [];
            return rows.Length >= count;
        }, TimeSpan.FromSeconds(30), $"{count} ledger row(s) of the key");
        return rows;
    }

    /// <summary>The team's spend as the management API reports it.</summary>
    public async Task<decimal> TeamSpendAsync(string teamId)
    {
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={Uri.EscapeDataString(teamId)}", TestContext.Current.CancellationToken);
        return info.GetProperty("team_info").GetProperty("spend").GetDecimal();
    }

    public static HttpRequestMessage Chat(string key, string model, object? extra = null, bool stream = false)
    {
        var body = JsonSerializer.SerializeToNode(new { model, stream, max_tokens = 100, messages = new[] { new { role = "user", content = "hello" } } })!.AsObject();
        if (extra is not null)
        {
            foreach (var (name, value) in JsonSerializer.SerializeToNode(extra)!.AsObject())
            {
                body[name] = value?.DeepClone();
            }
        }

        return new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = JsonContent.Create(body),
        };
    }
}
