using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Routing;

/// <summary>
/// Two fake providers (one per deployment: <see cref="Primary"/> and <see cref="Backup"/>), a fresh database and Redis
/// per test, and Api replicas started over them with a LiteLLM config written for the test. Every wait is bounded.
/// </summary>
public abstract class RoutingTestBase(TestServers servers) : IAsyncLifetime
{
    private readonly List<GatewayApiHost> hosts = [];
    private readonly List<string> files = [];
    private readonly CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private string database = null!;
    private string redis = null!;

    /// <summary>Unique per test, so deployment ids never collide on a shared Redis.</summary>
    protected string Run { get; } = Guid.NewGuid().ToString("N")[..8];

    protected FakeProviderServer Primary { get; private set; } = null!;
    protected FakeProviderServer Backup { get; private set; } = null!;
    protected string PrimaryId => $"primary-{Run}";
    protected string BackupId => $"backup-{Run}";
    protected CancellationToken Timeout => timeout.Token;
    protected TestServers Servers => servers;

    public async ValueTask InitializeAsync()
    {
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        Primary = await FakeProviderServer.StartAsync(Timeout);
        Backup = await FakeProviderServer.StartAsync(Timeout);
        database = await servers.CreateDatabaseAsync();
        redis = await servers.CreateRedisAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in hosts)
            await host.DisposeAsync();
        await Primary.DisposeAsync();
        await Backup.DisposeAsync();
        foreach (var file in files)
            File.Delete(file);
        timeout.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A model_list entry for group <paramref name="group"/> on <paramref name="server"/>; <paramref name="extra"/> adds litellm_params lines.</summary>
    protected static string Deployment(string group, string id, FakeProviderServer server, string extra = "", string info = "") => $"""
          - model_name: "{group}"
            litellm_params:
              model: "openai/model-{id}"
              api_key: "sk-fake-provider-key"
              api_base: "{server.OpenAiBase}"
        {Indent(extra, 6)}
            model_info:
              id: "{id}"
        {Indent(info, 6)}

        """;

    /// <summary>Group "chat" = primary then backup, background health checks out of the way, plus <paramref name="settings"/> (top-level YAML).</summary>
    protected string TwoDeployments(string settings = "", string primary = "", string backup = "", string primaryInfo = "") =>
        "model_list:\n" + Deployment("chat", PrimaryId, Primary, primary, primaryInfo) + Deployment("chat", BackupId, Backup, backup) + Settings(settings);

    protected static string Settings(string settings) =>
        (settings.Contains("general_settings:", StringComparison.Ordinal) ? "" : "general_settings:\n  health_check_interval: 3600\n") + settings + "\n";

    /// <summary>An Api replica over <paramref name="yaml"/>, with <paramref name="settings"/> (e.g. <c>Gateway:…</c> options) on top.</summary>
    protected async Task<GatewayApiHost> StartApiAsync(string yaml, params (string Key, string? Value)[] settings)
    {
        var file = Path.Combine(Path.GetTempPath(), $"llmgw-routing-{Run}-{files.Count}.yaml");
        await File.WriteAllTextAsync(file, yaml, Timeout);
        files.Add(file);
        var configuration = new Dictionary<string, string?> { ["Gateway:ConfigFile"] = file };
        foreach (var (key, value) in settings)
            configuration[key] = value;
        var host = await GatewayApiHost.StartAsync(database, redis, configuration);
        hosts.Add(host);
        return host;
    }

    protected static HttpClient Client(GatewayApiHost host) => host.CreateLoopbackClient(GatewayApiHost.MasterKey);

    protected Task<HttpResponseMessage> ChatAsync(HttpClient client, string model = "chat", bool stream = false, string content = "Say hello", int? maxTokens = null)
    {
        var body = new JsonObject
        {
            ["model"] = model, ["stream"] = stream,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
        };
        if (maxTokens is { } max)
            body["max_tokens"] = max;
        return client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        }, HttpCompletionOption.ResponseHeadersRead, Timeout);
    }

    /// <summary>A deployment's <c>/model/info</c> health state, read from Redis: healthy, cooled_down or unhealthy.</summary>
    protected async Task<string?> HealthStateAsync(GatewayApiHost host, string deploymentId)
    {
        using var admin = Client(host);
        var data = JsonNode.Parse(await admin.GetStringAsync("/model/info", Timeout))!["data"]!.AsArray();
        return (string?)data.Single(d => (string?)d!["model_info"]!["id"] == deploymentId)!["model_info"]!["health"]!["state"];
    }

    protected static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    protected async Task<JsonObject> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync(Timeout))!.AsObject();

    private static string Indent(string lines, int spaces) => string.Join("\n",
        lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => new string(' ', spaces) + l.Trim()));
}
