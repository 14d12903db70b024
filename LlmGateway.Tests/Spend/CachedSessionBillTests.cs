using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

/// <summary>
/// A three-turn prompt-cached session on claude-sonnet ($3/M input, $15/M output; reads $0.30/M, five-minute writes
/// $3.75/M, hour writes $6/M) through the gateway, billed by hand and compared with the ledger to the last digit.
/// </summary>
public sealed class CachedSessionBillTests(TestServers servers) : IAsyncLifetime
{
    private const string Model = "claude-sonnet";

    // Anthropic's counts of each turn: uncached input, cache writes (of which kept an hour), cache reads, output.
    private static readonly Turn[] Session =
    [
        new(Input: 2_000, Writes: 10_000, Writes1h: 0, Reads: 0, Output: 300),
        new(Input: 500, Writes: 1_500, Writes1h: 1_500, Reads: 10_000, Output: 250),
        new(Input: 1_000, Writes: 5_000, Writes1h: 0, Reads: 20_000, Output: 200),
    ];

    // By hand: 2,000 × $3/M + 10,000 × $3.75/M + 300 × $15/M = $0.006 + $0.0375 + $0.0045;
    //          500 × $3/M + 1,500 × $6/M + 10,000 × $0.30/M + 250 × $15/M = $0.0015 + $0.009 + $0.003 + $0.00375;
    //          1,000 × $3/M + 5,000 × $3.75/M + 20,000 × $0.30/M + 200 × $15/M = $0.003 + $0.01875 + $0.006 + $0.003 (the issue's call).
    private static readonly decimal[] Bill = [0.048m, 0.01725m, 0.03075m];

    private readonly string dataDirectory = NewDataDirectory();
    private FakeProviderServer upstream = null!;
    private GatewayConfigFile config = null!;
    private GatewayApiHost api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Database => api.Services.GetRequiredConnectionString();

    public async ValueTask InitializeAsync()
    {
        upstream = await FakeProviderServer.StartAsync(Ct);
        config = new GatewayConfigFile($"""
            model_list:
              - model_name: "{Model}"
                litellm_params:
                  model: "anthropic/claude-sonnet-4-20250514"
                  api_base: "{upstream.AnthropicBase}"
                  api_key: "sk-upstream-anthropic"
                model_info:
                  input_cost_per_token: 0.000003
                  output_cost_per_token: 0.000015
            """);
        api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(),
            config.Settings([.. Settings(dataDirectory).Select(kv => (kv.Key, kv.Value))]));
    }

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        await upstream.DisposeAsync();
        config.Dispose();
        DeleteDirectory(dataDirectory);
    }

    [Fact]
    public async Task ACachedSessionThroughMessagesIsBilledInTheLedgerExactlyAsAnthropicBillsIt()
    {
        var (teamId, client) = await TeamClientAsync("cached-messages");

        for (var i = 0; i < Session.Length; i++)
        {
            upstream.Enqueue(Session[i].Script);
            using var response = await client.PostAsJsonAsync("/v1/messages", new
            {
                model = Model, max_tokens = 1_000, stream = i == 1, messages = new[] { new { role = "user", content = $"turn {i}" } },
            }, Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.True(response.IsSuccessStatusCode, body);
            Assert.Contains($"\"cache_read_input_tokens\":{Session[i].Reads}", body, StringComparison.Ordinal);
            if (i != 1)
            {
                Assert.Equal(Bill[i], CostHeaderOf(response));
            }

            await AssertLedgerRowAsync(RequestIdOf(response), Session[i], Bill[i]);
        }

        await AssertTeamSpendAsync(teamId);
    }

    [Fact]
    public async Task ACachedSessionThroughChatCompletionsIsBilledTheSameAndReportsCacheTokensInUsage()
    {
        var (teamId, client) = await TeamClientAsync("cached-chat");

        for (var i = 0; i < Session.Length; i++)
        {
            upstream.Enqueue(Session[i].Script);
            var stream = i == 1;
            var request = new JsonObject
            {
                ["model"] = Model, ["max_tokens"] = 1_000, ["stream"] = stream,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = $"turn {i}" }),
            };
            if (stream)
            {
                request["stream_options"] = new JsonObject { ["include_usage"] = true };
            }

            using var response = await client.PostAsJsonAsync("/v1/chat/completions", request, Ct);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));

            var usage = stream
                ? JsonNode.Parse((await SseReader.ReadAllAsync(response, Ct)).Last(m => m.Data.Contains("\"usage\"", StringComparison.Ordinal)).Data)!["usage"]!
                : (await response.Content.ReadFromJsonAsync<JsonNode>(Ct))!["usage"]!;
            Assert.Equal(Session[i].Prompt, (long)usage["prompt_tokens"]!);
            Assert.Equal(Session[i].Reads, (long)usage["prompt_tokens_details"]!["cached_tokens"]!);
            Assert.Equal(Session[i].Writes, (long)usage["cache_creation_input_tokens"]!);
            Assert.Equal(Bill[i], stream ? (decimal)usage["cost"]! : CostHeaderOf(response));

            await AssertLedgerRowAsync(RequestIdOf(response), Session[i], Bill[i]);
        }

        await AssertTeamSpendAsync(teamId);
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var rows = (await admin.GetFromJsonAsync<JsonArray>($"/spend/logs?team_id={teamId}", Ct))!;
        Assert.Equal(
            Session.Select(t => ((long)t.Reads, (long)t.Reads, (long)t.Writes, (long)t.Writes1h)).OrderBy(t => t.Item1),
            rows.Select(r => ((long)r!["cached_tokens"]!, (long)r["cache_read_input_tokens"]!, (long)r["cache_creation_input_tokens"]!,
                (long)r["cache_creation_1h_input_tokens"]!)).OrderBy(t => t.Item1));
    }

    private async Task<(string TeamId, HttpClient Client)> TeamClientAsync(string alias)
    {
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (teamId, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = alias }, ct: Ct);
        return (teamId, api.CreateLoopbackClient(key));
    }

    private async Task AssertLedgerRowAsync(string requestId, Turn turn, decimal bill)
    {
        await LocalProcess.WaitUntilAsync(
            async () => await ScalarAsync<long>(Database, "SELECT count(*) FROM spend_logs WHERE request_id = @id", ("id", requestId)) == 1,
            TimeSpan.FromSeconds(30), $"the ledger row of {requestId}");
        var row = await ScalarAsync<string>(Database, """
            SELECT concat_ws('|', spend, prompt_tokens, cached_tokens, cache_creation_input_tokens, cache_creation_1h_input_tokens, completion_tokens)
            FROM spend_logs WHERE request_id = @id
            """, ("id", requestId));
        Assert.Equal($"{bill.ToString("F8", CultureInfo.InvariantCulture)}|{turn.Prompt}|{turn.Reads}|{turn.Writes}|{turn.Writes1h}|{turn.Output}", row);
    }

    private async Task AssertTeamSpendAsync(string teamId) =>
        Assert.Equal(Bill.Sum(), await ScalarAsync<decimal>(Database, "SELECT spend FROM teams WHERE team_id = @t", ("t", teamId)));

    private static string RequestIdOf(HttpResponseMessage response) => response.Headers.GetValues("x-request-id").Single();

    private static decimal CostHeaderOf(HttpResponseMessage response) =>
        decimal.Parse(response.Headers.GetValues("x-gateway-cost-usd").Single(), CultureInfo.InvariantCulture);

    private sealed record Turn(int Input, int Writes, int Writes1h, int Reads, int Output)
    {
        public long Prompt => Input + Writes + Reads;

        public FakeResponse Script => FakeResponse.Ok with
        {
            PromptTokens = Input, CachedTokens = Reads, CacheCreationTokens = Writes, CacheCreation1hTokens = Writes1h, CompletionTokens = Output,
        };
    }
}
