using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: choose the moment to hang up on a stream so that the settle (Redis budget) and the ledger row bill less than the
/// provider does. One gateway per test over a fresh Postgres and Redis, a drain bound of 2 s, an Anthropic and an OpenAI
/// deployment priced $0.000001 a prompt token and $0.0001 an output token.
/// </summary>
public sealed class SettleTimingAttackTests(TestServers servers) : IAsyncLifetime
{
    private const decimal InputRate = 0.000001m;
    private const decimal OutputRate = 0.0001m;
    private static readonly TimeSpan DrainBound = TimeSpan.FromSeconds(2);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeProviderServer upstream = null!;
    private GatewayConfigFile config = null!;
    private readonly List<GatewayApiHost> hosts = [];

    public async ValueTask InitializeAsync()
    {
        upstream = await FakeProviderServer.StartAsync(Ct);
        config = new GatewayConfigFile($$"""
            model_list:
              - model_name: "claude"
                litellm_params: { model: "anthropic/claude-test", api_base: "{{upstream.AnthropicBase}}", api_key: "sk-upstream" }
                model_info: { id: "claude-1", input_cost_per_token: {{InputRate}}, output_cost_per_token: {{OutputRate}}, max_output_tokens: 200 }
              - model_name: "gpt"
                litellm_params: { model: "openai/gpt-test", api_base: "{{upstream.OpenAiBase}}", api_key: "sk-upstream" }
                model_info: { id: "gpt-1", input_cost_per_token: {{InputRate}}, output_cost_per_token: {{OutputRate}}, max_output_tokens: 200 }
            general_settings:
              health_check_interval: 3600
            """);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in hosts)
        {
            await host.DisposeAsync();
        }

        await upstream.DisposeAsync();
        config.Dispose();
    }

    private async Task<GatewayApiHost> StartAsync(params (string Key, string? Value)[] more)
    {
        var settings = config.Settings([("Gateway:Spend:PollInterval", "00:00:00.050"), ("Gateway:DisconnectDrainTimeout", DrainBound.ToString()), .. more]);
        var host = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(), settings);
        hosts.Add(host);
        return host;
    }

    /// <summary>
    /// A long Anthropic answer (100 deltas, 100 ms apart): the client reads 10 content deltas and hangs up. The drain bound
    /// (default policy, 2 s here, 30 s by default) or the cancel policy cuts the upstream; the gateway then bills the usage
    /// it has, which is message_start's: the prompt and <c>output_tokens: 1</c> (what Anthropic sends there). It took the
    /// estimate (one token per event) only when that output count was 0, so the 10+ deltas the client received — and the
    /// ~30 the provider generated before the cut — were billed as one output token, in the ledger and in Redis alike.
    /// </summary>
    [Theory]
    [InlineData("/v1/messages", "drain")]
    [InlineData("/v1/messages", "cancel")]
    [InlineData("/v1/chat/completions", "drain")]
    [InlineData("/v1/chat/completions", "cancel")]
    public async Task AnAnthropicStreamCutAfterTenDeltasIsBilledAtLeastTheDeltasDelivered(string path, string policy)
    {
        var api = await StartAsync(("Gateway:DisconnectPolicy", policy));
        var (teamId, key) = await TeamAndKeyAsync(api, new { team_alias = $"cut-{Guid.NewGuid():N}", max_budget = 5 });
        upstream.Default = FakeResponse.Ok with
        {
            Text = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"w{i}")), ChunkCount = 100, PromptTokens = 20, CompletionTokens = 100,
            DelayBetweenChunks = TimeSpan.FromMilliseconds(100),
        };

        var delivered = await ReadAndHangUpAsync(api, key, path, "claude", deltas: 10);

        var row = Assert.Single(await LedgerRowsAsync(api, key));
        var (prompt, completion, spend) = (row.GetProperty("prompt_tokens").GetInt64(), row.GetProperty("completion_tokens").GetInt64(), row.GetProperty("spend").GetDecimal());
        Assert.Equal("client_disconnected", row.GetProperty("status").GetString());
        Assert.Equal(20, prompt);
        var teamSpend = await TeamSpendAsync(api, teamId);
        Assert.Equal(spend, teamSpend); // Redis and the ledger agree, and neither bills less than what was delivered
        Assert.True(completion >= delivered,
            $"{path} under {policy}: {delivered} content deltas delivered before the hang-up, billed {completion} output token(s), ${spend} (Redis ${teamSpend})");
    }

    /// <summary>
    /// The same cause without a client: an Anthropic stream whose connection breaks after 10 deltas was billed message_start's
    /// one output token; now the deltas relayed, as its OpenAI twin
    /// (<c>TimedOutRequestTests.AStreamThatBreaksOffMidwayIsBilledWhatWasRelayedNotZero</c>).
    /// </summary>
    [Fact]
    public async Task AnAnthropicStreamThatBreaksOffAfterTenDeltasIsBilledAtLeastTheDeltasRelayed()
    {
        var api = await StartAsync();
        var (teamId, key) = await TeamAndKeyAsync(api, new { team_alias = $"broken-{Guid.NewGuid():N}", max_budget = 5 });
        upstream.Default = FakeResponse.Ok with
        {
            Text = string.Join(' ', Enumerable.Range(0, 20).Select(i => $"w{i}")), ChunkCount = 20, PromptTokens = 20, CompletionTokens = 20, DropConnectionAfterChunks = 10,
        };
        using var client = api.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
            Content = new StringContent("""{"model":"claude","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"hello"}]}""",
                Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await client.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        var relayed = body.Split('\n').Count(IsDelta);

        var row = Assert.Single(await LedgerRowsAsync(api, key));
        var (completion, spend) = (row.GetProperty("completion_tokens").GetInt64(), row.GetProperty("spend").GetDecimal());
        Assert.Equal("stream_connection_reset", row.GetProperty("status").GetString());
        Assert.Equal(spend, await TeamSpendAsync(api, teamId));
        Assert.True(relayed >= 10 && completion >= relayed, $"{relayed} deltas relayed, billed {completion} output token(s), ${spend}");
    }

    /// <summary>Streams <paramref name="path"/>, reads <paramref name="deltas"/> content deltas, then drops the connection; returns how many it read.</summary>
    private static async Task<int> ReadAndHangUpAsync(GatewayApiHost api, string key, string path, string model, int deltas)
    {
        using var client = api.CreateLoopbackClient();
        var body = path == "/v1/messages"
            ? $$"""{"model":"{{model}}","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"hello"}]}"""
            : $$"""{"model":"{{model}}","max_tokens":200,"stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"hello"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("anthropic-version", "2023-06-01");
        var read = 0;
        using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
            while (read < deltas)
            {
                var line = await reader.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct) ?? throw new InvalidOperationException("the stream ended");
                read += IsDelta(line) ? 1 : 0;
            }
        } // hangs up mid-stream

        return read;
    }

    /// <summary>A content delta: Anthropic's <c>text_delta</c>, or a chat chunk with text.</summary>
    private static bool IsDelta(string line) =>
        line.Contains("\"text_delta\"", StringComparison.Ordinal) || (line.Contains("\"content\":\"", StringComparison.Ordinal) && !line.Contains("\"content\":\"\"", StringComparison.Ordinal));

    private static async Task<(string TeamId, string Key)> TeamAndKeyAsync(GatewayApiHost api, object team)
    {
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return await ManagementCalls.CreateTeamAndKeyAsync(admin, team, null, Ct);
    }

    private static async Task<JsonElement[]> LedgerRowsAsync(GatewayApiHost api, string key, int count = 1)
    {
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var rows = Array.Empty<JsonElement>();
        await LocalProcess.WaitUntilAsync(async () =>
        {
            rows = await admin.GetFromJsonAsync<JsonElement[]>($"/spend/logs?api_key={Uri.EscapeDataString(key)}", Ct) ?? [];
            return rows.Length >= count;
        }, TimeSpan.FromSeconds(30), $"{count} ledger row(s) of the key");
        return rows;
    }

    private static async Task<decimal> TeamSpendAsync(GatewayApiHost api, string teamId)
    {
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={Uri.EscapeDataString(teamId)}", Ct);
        return info.GetProperty("team_info").GetProperty("spend").GetDecimal();
    }
}
