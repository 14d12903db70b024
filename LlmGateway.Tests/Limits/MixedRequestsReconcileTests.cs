using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Limits;

/// <summary>
/// Successes, provider 500s, client cancellations and timeouts mixed: afterwards the team's Redis spend counter
/// equals the ledger's sum, every request has exactly one ledger row, and no reservation is left.
/// </summary>
public sealed class MixedRequestsReconcileTests(TestServers servers)
{
    private const int Requests = 10_000;

    [Fact]
    public async Task TenThousandMixedRequestsLeaveRedisCountersEqualToTheLedgerAndNoReservation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upstream = await FakeProviderServer.StartAsync(ct);
        await using var hanging = await FakeProviderServer.StartAsync(ct);
        upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };
        hanging.Default = new FakeResponse { Hang = true };
        using var config = new GatewayConfigFile($"""
            model_list:
              - model_name: "gpt-test"
                litellm_params:
                  model: "openai/gpt-test"
                  api_base: "{upstream.OpenAiBase}"
                model_info:
                  input_cost_per_token: 0
                  output_cost_per_token: 0.0001
              - model_name: "slow"
                litellm_params:
                  model: "openai/gpt-slow"
                  api_base: "{hanging.OpenAiBase}"
                  timeout: 1
                model_info:
                  input_cost_per_token: 0
                  output_cost_per_token: 0.0001
            litellm_settings:
              allowed_fails: 1000000
            general_settings:
              health_check_interval: 3600
            """);
        var database = await servers.CreateDatabaseAsync();
        var redisConnection = await servers.CreateRedisAsync();
        await using var api = await GatewayApiHost.StartAsync(database, redisConnection, config.Settings());
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (teamId, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "mixed-team", max_budget = 1000 }, ct: ct);
        for (var i = 0; i < Requests / 20; i++)
        {
            upstream.Enqueue(FakeResponse.Error(500), FakeResponse.Ok with { DelayBeforeHeaders = TimeSpan.FromMilliseconds(300), CompletionTokens = 100 });
        }

        // No pool queueing: a cancelled request has always reached the server, so each one has a ledger row.
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue };
        using var client = new HttpClient(handler) { BaseAddress = api.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var gate = new SemaphoreSlim(64);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Requests).Select(async i =>
        {
            await gate.WaitAsync(ct);
            try
            {
                using var request = GovernanceFixture.Chat(key, model: i % 500 == 0 ? "slow" : "gpt-test");
                request.Headers.Add("x-request-id", $"mix-{i}");
                // Every 25th client gives up 100 ms after its body was sent: some of those hit the delayed answers
                // mid-flight. The clock starts when the body is on the wire, not before the connection: on a loaded
                // machine a request cancelled before it was sent never reached the gateway and has no row to count.
                using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
                if (i % 25 == 0 && i >= 500)
                {
                    request.Content = new SentSignalContent(request.Content!, () => cancel.CancelAfter(TimeSpan.FromMilliseconds(100)));
                }

                using var response = await client.SendAsync(request, cancel.Token);
                return (int)response.StatusCode;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return 0;
            }
            finally
            {
                gate.Release();
            }
        }));

        Assert.Contains(200, outcomes);
        Assert.Contains(0, outcomes);
        Assert.Contains(503, outcomes);
        decimal rows = 0;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        // Every request, including those whose client left during authentication (no team known yet), has its row.
        while (DateTime.UtcNow < deadline && (rows = await LedgerAsync(database, null, "count(*)")) < Requests)
        {
            await Task.Delay(200, ct);
        }

        Assert.Equal(Requests, rows);
        Assert.Equal(Requests, await LedgerAsync(database, null, "count(DISTINCT request_id)"));
        Assert.Equal(Requests, await LedgerAsync(database, null, "count(*) FILTER (WHERE call_type = 'chat_completions')"));

        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redisConnection);
        var db = redis.GetDatabase();
        var prefix = $"llmgateway:{{t:{teamId}}}:team:{teamId}";
        var spentNanos = (long)await db.StringGetAsync($"{prefix}:spent:0");
        var ledgerSpend = await LedgerAsync(database, teamId, "sum(spend)");
        Assert.Equal(ledgerSpend, spentNanos / 1_000_000_000m);
        Assert.Equal(0, (long)await db.StringGetAsync($"{prefix}:reserved:0"));
        Assert.Equal(0, await db.SortedSetLengthAsync($"{prefix}:holds:0"));
    }

    private static async Task<decimal> LedgerAsync(string database, string? teamId, string aggregate)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            $"SELECT coalesce({aggregate}, 0) FROM spend_logs WHERE @team::text IS NULL OR team_id = @team", connection);
        command.Parameters.Add(new Npgsql.NpgsqlParameter("team", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)teamId ?? DBNull.Value });
        return Convert.ToDecimal(await command.ExecuteScalarAsync());
    }

    /// <summary>A request body that calls <paramref name="sent"/> once it has been written to the connection.</summary>
    private sealed class SentSignalContent : HttpContent
    {
        private readonly HttpContent inner;
        private readonly Action sent;

        public SentSignalContent(HttpContent inner, Action sent)
        {
            this.inner = inner;
            this.sent = sent;
            foreach (var (name, values) in inner.Headers)
            {
                Headers.TryAddWithoutValidation(name, values);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await inner.CopyToAsync(stream);
            await stream.FlushAsync();
            sent();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
