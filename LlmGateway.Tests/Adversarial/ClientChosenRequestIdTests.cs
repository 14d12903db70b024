using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: send the same <c>x-request-id</c> on every request, so that every request is one member of the rpm, parallel
/// and reservation sets (8 of 8 admitted against rpm 2; concurrent requests sharing one reservation leaked it).
/// The gateway's own id is the identity; the client's is echoed and stored for correlation only.
/// </summary>
public sealed class ClientChosenRequestIdTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheSameRequestIdOnEveryRequestStillCountsEachRequestAgainstRpm()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "same-id-rpm" }, new { rpm_limit = 2 });
        var statuses = new List<HttpStatusCode>();
        var gatewayIds = new HashSet<string>();
        for (var i = 0; i < 8; i++)
        {
            var host = i % 2 == 0 ? fixture.Api : fixture.Replica;
            using var client = host.CreateLoopbackClient();
            using var request = GovernanceFixture.Chat(key);
            request.Headers.Add("x-request-id", "always-the-same");
            using var response = await client.SendAsync(request, Ct);
            statuses.Add(response.StatusCode);
            Assert.Equal("always-the-same", response.Headers.GetValues("x-request-id").Single()); // echoed for correlation
            gatewayIds.Add(response.Headers.GetValues("x-gateway-request-id").Single());
        }

        Assert.Equal(2, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(6, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(8, gatewayIds.Count);
    }

    [Fact]
    public async Task ConcurrentRequestsSharingOneIdLeakNoReservationAndLoseNoCost()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "same-id-concurrent", max_budget = 100 },
            new { max_budget = 100, max_parallel_requests = 50 });
        fixture.Upstream.Default = Fakes.FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100, DelayBeforeHeaders = TimeSpan.FromMilliseconds(200) };
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
            {
                using var request = GovernanceFixture.Chat(key);
                request.RequestUri = new Uri((i % 2 == 0 ? fixture.Api : fixture.Replica).BaseAddress, "/v1/chat/completions");
                request.Headers.Add("x-request-id", "shared-by-all");
                using var response = await http.SendAsync(request, Ct);
                return response.StatusCode;
            }));
            Assert.All(responses, s => Assert.Equal(HttpStatusCode.OK, s));
        }
        finally
        {
            fixture.Upstream.Default = Fakes.FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };
        }

        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.RedisConnection);
        var db = redis.GetDatabase();
        var team = $"llmgateway:{{t:{teamId}}}:team:{teamId}";
        Assert.Equal(0, (long)await db.StringGetAsync($"{team}:reserved:0"));
        Assert.Equal(0, await db.SortedSetLengthAsync($"{team}:holds:0"));
        Assert.Equal(20 * GovernanceFixture.CallCost, (long)await db.StringGetAsync($"{team}:spent:0") / 1_000_000_000m);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        foreach (var parallel in server.Keys(pattern: $"llmgateway:{{t:{teamId}}}:*:par"))
        {
            Assert.Equal(0, await db.SortedSetLengthAsync(parallel));
        }
    }

    [Fact]
    public async Task TheClientsIdIsStoredForCorrelationButTheLedgerRowHasTheGatewaysId()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "same-id-ledger" });
        using var client = fixture.Api.CreateLoopbackClient();
        var gatewayIds = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var request = GovernanceFixture.Chat(key);
            request.Headers.Add("x-request-id", "correlate-me");
            using var response = await client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            gatewayIds.Add(response.Headers.GetValues("x-gateway-request-id").Single());
        }

        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        foreach (var id in gatewayIds)
        {
            JsonElement row = default;
            await LocalProcess.WaitUntilAsync(async () =>
            {
                var rows = await admin.GetFromJsonAsync<JsonElement>($"/spend/logs?request_id={id}", Ct);
                var found = rows.ValueKind == JsonValueKind.Array && rows.GetArrayLength() == 1;
                row = found ? rows[0] : default;
                return found;
            }, TimeSpan.FromSeconds(30), "the ledger row");
            Assert.Equal("correlate-me", row.GetProperty("metadata").GetProperty("client_request_id").GetString());
        }
    }
}
