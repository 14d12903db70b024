using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Clients;

/// <summary>
/// One fake provider and one Api (fast spend writer) for the coding-agent tests: a model group per kind of deployment,
/// named as a team would name them, with prices, so a ledger row can be checked against the hand computation.
/// </summary>
public sealed class CodingAgentFixture(TestServers servers) : IAsyncLifetime
{
    /// <summary>An Anthropic deployment behind a gateway alias Claude Code does not recognise, as users configure it.</summary>
    public const string AnthropicGroup = "claude-sonnet";
    /// <summary>An OpenAI-format deployment Claude Code reaches through the Messages translation; chat completions only (<c>use_responses_api: false</c>).</summary>
    public const string OpenAiGroup = "gpt-coder";
    /// <summary>An OpenAI deployment that speaks the Responses API (the default for <c>openai/</c>): Responses clients pass through.</summary>
    public const string OpenAiResponsesGroup = "gpt-responses";
    /// <summary>OpenAI's completions model: legacy text completions clients pass through to its <c>/v1/completions</c>.</summary>
    public const string InstructGroup = "gpt-instruct";
    /// <summary>An Azure OpenAI deployment: chat completions on its classic per-deployment path, Responses clients passed through to its v1 path.</summary>
    public const string AzureGroup = "gpt-azure";
    /// <summary>A self-hosted model behind Ollama's OpenAI-compatible API: chat completions only (Responses clients translated).</summary>
    public const string OllamaGroup = "llama-local";

    /// <summary>Where the fake receives the Azure deployment's chat completions.</summary>
    public const string AzureChatPath = "/openai/deployments/coder-deployment/chat/completions";

    /// <summary>Embedding models, one per kind of deployment that serves them: OpenAI, Azure OpenAI, Ollama.</summary>
    public const string OpenAiEmbeddingGroup = "embed-openai";
    public const string AzureEmbeddingGroup = "embed-azure";
    public const string OllamaEmbeddingGroup = "embed-local";

    /// <summary>Where the fake receives the Azure embedding deployment's calls.</summary>
    public const string AzureEmbeddingPath = "/openai/deployments/embed-deployment/embeddings";

    public const decimal InputPrice = 0.000003m;
    public const decimal OutputPrice = 0.000015m;

    private readonly string dataDirectory = Spend.SpendTestData.NewDataDirectory();
    private GatewayConfigFile config = null!;

    public FakeProviderServer Fake { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Fake = await FakeProviderServer.StartAsync();
        config = new GatewayConfigFile(Yaml(Fake));
        Api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(),
            // Leases live 5 s here (250 ms by default): a client's next turn comes after its tool ran, slower on a busy machine.
            config.Settings([.. Spend.SpendTestData.Settings(dataDirectory).Select(s => (s.Key, s.Value)), ("Gateway:Limits:LeaseLife", "00:00:05")]));
    }

    public async ValueTask DisposeAsync()
    {
        if (Api is not null)
            await Api.DisposeAsync();
        if (Fake is not null)
            await Fake.DisposeAsync();
        config?.Dispose();
        Spend.SpendTestData.DeleteDirectory(dataDirectory);
    }

    /// <summary>
    /// A new team with one virtual key, governed as a platform team sets one up (a budget, rpm and tpm, far from reach):
    /// every request is admitted against them, most on leases (the default); returns the raw key.
    /// </summary>
    public async Task<string> NewKeyAsync(CancellationToken ct)
    {
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin,
            new { team_alias = $"agents-{Guid.NewGuid():N}", max_budget = 1_000, rpm_limit = 100_000, tpm_limit = 1_000_000_000 }, null, ct);
        return key;
    }

    /// <summary>How many requests the Api admitted on leases so far.</summary>
    public long LeasedAdmissions => Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
        .GetRequiredService<Api.Limits.LimitsGate>(Api.Services).LeasedAdmissions;

    /// <summary>The successful ledger rows of a key (<c>/spend/logs</c>), once at least <paramref name="atLeast"/> have been written; bounded.</summary>
    public async Task<JsonElement[]> SuccessRowsAsync(string key, int atLeast, CancellationToken ct)
    {
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var rows = Array.Empty<JsonElement>();
        await LocalProcess.WaitUntilAsync(async () =>
        {
            ct.ThrowIfCancellationRequested();
            rows = await admin.GetFromJsonAsync<JsonElement[]>($"/spend/logs?status=success&api_key={Uri.EscapeDataString(key)}", ct) ?? [];
            return rows.Length >= atLeast;
        }, TimeSpan.FromSeconds(20), $"{atLeast} ledger rows");
        return rows;
    }

    /// <summary>The ledger row of one request (<c>/spend/logs?request_id=</c>), once written; bounded.</summary>
    public async Task<JsonElement> LedgerRowAsync(string requestId, CancellationToken ct)
    {
        using var admin = Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        JsonElement[] rows = [];
        await LocalProcess.WaitUntilAsync(async () =>
        {
            ct.ThrowIfCancellationRequested();
            rows = await admin.GetFromJsonAsync<JsonElement[]>($"/spend/logs?request_id={Uri.EscapeDataString(requestId)}", ct) ?? [];
            return rows.Length > 0;
        }, TimeSpan.FromSeconds(20), $"the ledger row of {requestId}");
        return Assert.Single(rows);
    }

    private static string Price(decimal price) => price.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Yaml(FakeProviderServer fake) =>
        "model_list:\n"
        // A context window, as a platform team sets it: a scanned PDF Claude Code reads must still be routed to it.
        + Deployment(AnthropicGroup, "anthropic/claude-sonnet-4-5", fake.AnthropicBase, "anthropic-coder", info: "max_input_tokens: 200000")
        + Deployment(OpenAiGroup, "openai/gpt-coder", fake.OpenAiBase, "openai-coder", "use_responses_api: false")
        // Codex sends OpenAI's hosted web_search on every call: a premium feature this deployment allows.
        + Deployment(OpenAiResponsesGroup, "openai/gpt-5", fake.OpenAiBase, "openai-responses", info: "allowed_premium: [\"web_search\"]")
        + Deployment(InstructGroup, "openai/gpt-3.5-turbo-instruct", fake.OpenAiBase, "openai-instruct")
        + Deployment(AzureGroup, "azure/coder-deployment", fake.BaseUri, "azure-coder", "api_version: \"2024-10-21\"")
        + Deployment(OllamaGroup, "ollama/llama3", fake.BaseUri, "ollama-local")
        + Deployment(OpenAiEmbeddingGroup, "openai/text-embedding-3-small", fake.OpenAiBase, "openai-embed", info: "mode: embedding")
        + Deployment(AzureEmbeddingGroup, "azure/embed-deployment", fake.BaseUri, "azure-embed", "api_version: \"2024-10-21\"", "mode: embedding")
        + Deployment(OllamaEmbeddingGroup, "ollama/nomic-embed-text", fake.BaseUri, "ollama-embed", info: "mode: embedding")
        // Background health checks would consume the fake's scripts: out of the way.
        + "general_settings:\n  health_check_interval: 3600\n";

    private static string Deployment(string group, string model, Uri apiBase, string id, string extra = "", string info = "") => $"""
          - model_name: "{group}"
            litellm_params:
              model: "{model}"
              api_base: "{apiBase}"
              api_key: "sk-upstream-{id}"
              {extra}
            model_info:
              id: "{id}"
              input_cost_per_token: {Price(InputPrice)}
              output_cost_per_token: {Price(OutputPrice)}
              {info}

        """;
}
