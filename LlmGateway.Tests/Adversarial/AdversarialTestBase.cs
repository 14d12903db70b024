using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Routing;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Two replicas started per test over a config the test writes (one fresh Postgres and Redis, the fakes of
/// <see cref="RoutingTestBase"/>), keys made through the management API, and attacks sent as raw JSON over HTTP,
/// alternately to each replica: what one replica reserved, the other sees.
/// </summary>
public abstract class AdversarialTestBase(TestServers servers) : RoutingTestBase(servers)
{
    private readonly Dictionary<GatewayApiHost, GatewayApiHost> replicas = [];
    private int sent;

    /// <summary>Starts two replicas of <paramref name="yaml"/>; returns the first, and requests sent to it alternate between both.</summary>
    protected async Task<GatewayApiHost> StartApiAsync(string yaml)
    {
        var first = await base.StartApiAsync(yaml);
        replicas[first] = await base.StartApiAsync(yaml);
        return first;
    }

    /// <summary>The replica the next request goes to: <paramref name="host"/> or its twin, in turn.</summary>
    private GatewayApiHost Next(GatewayApiHost host) =>
        replicas.TryGetValue(host, out var twin) && Interlocked.Increment(ref sent) % 2 == 0 ? twin : host;

    /// <summary>A model_list entry: <paramref name="group"/> served by <paramref name="providerModel"/> on a fake, with model_info lines.</summary>
    protected static string Model(string group, string providerModel, FakeProviderServer server, params string[] info) => $"""
          - model_name: "{group}"
            litellm_params:
              model: "{providerModel}"
              api_key: "sk-fake-provider-key"
              api_base: "{(providerModel.StartsWith("anthropic/", StringComparison.Ordinal) ? server.AnthropicBase : server.OpenAiBase)}"
        {(info.Length == 0 ? "" : "    model_info:\n" + string.Concat(info.Select(line => $"      {line}\n")))}
        """;

    protected static string Config(string models, string settings = "") => "model_list:\n" + models + Settings(settings);

    /// <summary>A team and a key in it, with the fields given; returns (team id, raw key).</summary>
    protected async Task<(string TeamId, string Key)> TeamAndKeyAsync(GatewayApiHost host, object team, object? key = null)
    {
        using var admin = Client(host);
        return await ManagementCalls.CreateTeamAndKeyAsync(admin, team, key, Timeout);
    }

    /// <summary>A JSON POST with the key as a bearer token and <paramref name="headers"/>, to each replica in turn; the answer buffered.</summary>
    protected Task<HttpResponseMessage> PostAsync(GatewayApiHost host, string key, string path, string json, params (string Name, string Value)[] headers) =>
        PostToAsync(Next(host), key, path, json, headers);

    /// <summary>The same to <paramref name="replica"/> itself; headers added as written, unvalidated (odd values are the point).</summary>
    protected async Task<HttpResponseMessage> PostToAsync(GatewayApiHost replica, string key, string path, string json, params (string Name, string Value)[] headers)
    {
        using var client = replica.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
            Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        foreach (var (name, value) in headers)
            request.Headers.TryAddWithoutValidation(name, value);
        var response = await client.SendAsync(request, Timeout);
        await response.Content.LoadIntoBufferAsync(Timeout);
        return response;
    }

    /// <summary>The key's ledger rows (<c>/spend/logs</c>) once at least <paramref name="count"/> are written (0: whatever is there now); bounded.</summary>
    protected async Task<JsonElement[]> LedgerRowsAsync(GatewayApiHost host, string key, int count = 1)
    {
        using var admin = Client(host);
        var rows = Array.Empty<JsonElement>();
        await LocalProcess.WaitUntilAsync(async () =>
        {
            rows = await admin.GetFromJsonAsync<JsonElement[]>($"/spend/logs?api_key={Uri.EscapeDataString(key)}", Timeout) ?? [];
            return rows.Length >= count;
        }, TimeSpan.FromSeconds(30), $"{count} ledger row(s) of the key");
        return rows;
    }

    protected Task<HttpResponseMessage> ChatAsync(GatewayApiHost host, string key, string extraFields = "", string content = "\"hello\"") =>
        PostAsync(host, key, "/v1/chat/completions",
            $$"""{"model":"chat","messages":[{"role":"user","content":{{content}}}]{{(extraFields.Length > 0 ? "," + extraFields : "")}}}""");
}
