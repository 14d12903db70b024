using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Limits;

public sealed class BudgetTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    [Fact]
    public async Task ThousandConcurrentRequestsAgainstADollarBudgetAdmitExactlyAHundred()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "budget-team", max_budget = 1.00, budget_duration = "1mo" });
        var before = fixture.Upstream.RequestCount;

        var results = await SendConcurrentlyAsync(1000, i => (i % 2 == 0 ? fixture.Api : fixture.Replica, key));

        var admitted = results.Count(r => r.Status == HttpStatusCode.OK);
        Assert.Equal(100, admitted);
        Assert.Equal(admitted, fixture.Upstream.RequestCount - before);
        var rejected = results.Where(r => r.Status != HttpStatusCode.OK).ToList();
        Assert.Equal(900, rejected.Count);
        Assert.All(rejected, r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.Status);
            Assert.Equal("budget_exceeded", r.Type);
            Assert.Contains("team 'budget-team'", r.Message);
            Assert.Contains("of $1", r.Message);
            Assert.Contains("resets ", r.Message);
        });
        // The other replica's last settles may wait for their slot's next call a moment (Gateway:Limits:SettleLinger).
        await LocalProcess.WaitUntilAsync(async () => await TeamSpendAsync(teamId) == 1.00m, TimeSpan.FromSeconds(10), "the team's spend");
    }

    [Fact]
    public async Task AWorstCaseFourTimesTheActualCostStillLetsSpendReachTheBudget()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "estimate-team", max_budget = 0.10 });
        var cheap = Fakes.FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 25 };
        var admitted = 0;
        using var client = fixture.Api.CreateLoopbackClient();
        for (var i = 0; i < 60; i++)
        {
            fixture.Upstream.Enqueue(cheap);
            using var response = await client.SendAsync(GovernanceFixture.Chat(key), TestContext.Current.CancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                break;
            }

            admitted++;
        }

        fixture.Upstream.Reset();
        fixture.Upstream.Default = Fakes.FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };
        // Each call reserves $0.01 but costs $0.0025: admission stops only when less than $0.01 of budget is left.
        var spent = await TeamSpendAsync(teamId);
        Assert.InRange(spent, 0.0925m, 0.10m);
        Assert.Equal(admitted * 0.0025m, spent);
    }

    [Fact]
    public async Task AnActualCostAboveTheEstimateOvershootsByAtMostTheExcessOfTheRequestInFlight()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "overshoot-team", max_budget = 0.10 });
        // The provider ignores max_tokens: 150 tokens ($0.015) where $0.01 was reserved.
        var greedy = Fakes.FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 150 };
        using var client = fixture.Api.CreateLoopbackClient();
        var admitted = 0;
        for (var i = 0; i < 20; i++)
        {
            fixture.Upstream.Enqueue(greedy);
            using var response = await client.SendAsync(GovernanceFixture.Chat(key), TestContext.Current.CancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                break;
            }

            admitted++;
        }

        fixture.Upstream.Reset();
        fixture.Upstream.Default = Fakes.FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };
        // Sequential: one request in flight at a time, so the overshoot is at most one request's $0.005 excess.
        Assert.Equal(7, admitted);
        Assert.Equal(0.105m, await TeamSpendAsync(teamId));
    }

    [Fact]
    public async Task AHugeMaxTokensIsCappedByTheModelsMaximumWhenReserving()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "cap-team", max_budget = 0.05 });
        using var client = fixture.Api.CreateLoopbackClient();
        using var response = await client.SendAsync(GovernanceFixture.Chat(key, maxTokens: 999_999_999), TestContext.Current.CancellationToken);
        // Reserved at min(999999999, 100) × $0.0001 = $0.01, which fits in $0.05.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0.01m, await TeamSpendAsync(teamId));
    }

    [Fact]
    public async Task BudgetExceededNamesTheKeyByAliasWhenTheKeysBudgetIsTheOneHit()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "roomy-team", max_budget = 100 },
            new { key_alias = "tight-key", max_budget = 0.015 });
        using var client = fixture.Api.CreateLoopbackClient();
        using var first = await client.SendAsync(GovernanceFixture.Chat(key), TestContext.Current.CancellationToken);
        using var second = await client.SendAsync(GovernanceFixture.Chat(key), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        var error = (await second.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error");
        Assert.Equal("budget_exceeded", error.GetProperty("type").GetString());
        Assert.Contains("key 'tight-key'", error.GetProperty("message").GetString());
        Assert.Contains("spent $0.01 of $0.015", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ABudgetSurvivesRedisLosingItsCountersBecauseTheyAreRebuiltFromTheLedger()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "reseed-team", max_budget = 0.03 });
        using var client = fixture.Api.CreateLoopbackClient();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(GovernanceFixture.Chat(key), TestContext.Current.CancellationToken)).StatusCode);
        }

        await LocalProcess.WaitUntilAsync(async () => await LedgerRowsAsync(teamId) == 3, TimeSpan.FromSeconds(20), "the ledger rows");
        await using (var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.RedisConnection + ",allowAdmin=true"))
        {
            await redis.GetServers().Single().FlushAllDatabasesAsync();
        }

        using var afterLoss = await client.SendAsync(GovernanceFixture.Chat(key), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.TooManyRequests, afterLoss.StatusCode);
        Assert.Contains("budget_exceeded", await afterLoss.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0.03m, await TeamSpendAsync(teamId));
    }

    private async Task<long> LedgerRowsAsync(string teamId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.DatabaseConnection);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM spend_logs WHERE team_id = @team AND status = 'success'", connection);
        command.Parameters.AddWithValue("team", teamId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    internal sealed record Outcome(HttpStatusCode Status, string? Type, string Message, string? RetryAfter);

    /// <summary>One request after the other, each answered before the next is sent.</summary>
    internal static async Task<List<Outcome>> SendOneByOneAsync(GatewayApiHost host, string key, int count)
    {
        var outcomes = new List<Outcome>();
        for (var i = 0; i < count; i++)
        {
            outcomes.AddRange(await SendConcurrentlyAsync(1, _ => (host, key)));
        }

        return outcomes;
    }

    /// <param name="build">The request for the i-th call and its key (default: <see cref="GovernanceFixture.Chat"/>).</param>
    /// <param name="prepare">Changes the i-th request before it is sent.</param>
    internal static async Task<List<Outcome>> SendConcurrentlyAsync(int count, Func<int, (GatewayApiHost Host, string Key)> target,
        Func<int, string, HttpRequestMessage>? build = null, Action<int, HttpRequestMessage>? prepare = null)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 128 };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        using var go = new SemaphoreSlim(0);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            var (host, key) = target(i);
            await go.WaitAsync();
            using var request = build?.Invoke(i, key) ?? GovernanceFixture.Chat(key);
            request.RequestUri = new Uri(host.BaseAddress, "/v1/chat/completions");
            prepare?.Invoke(i, request);
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            string? type = null;
            var message = "";
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
                type = error.GetProperty("type").GetString();
                message = error.GetProperty("message").GetString() ?? "";
            }

            return new Outcome(response.StatusCode, type, message, response.Headers.RetryAfter?.ToString());
        }).ToList();
        go.Release(count);
        return [.. await Task.WhenAll(tasks)];
    }

    private async Task<decimal> TeamSpendAsync(string teamId)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={teamId}", TestContext.Current.CancellationToken);
        return info.GetProperty("team_info").GetProperty("spend").GetDecimal();
    }
}
