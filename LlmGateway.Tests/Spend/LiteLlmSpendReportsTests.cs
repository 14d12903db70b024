using System.Net;
using System.Text.Json;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

/// <summary>LiteLLM's spend endpoints, called with its parameter names, answering in its shapes.</summary>
public sealed class LiteLlmSpendReportsTests(TestServers servers) : IAsyncLifetime
{
    private const string RawKeyA = "sk-litellm-report-key-a";
    private const string RawKeyMany = "sk-litellm-report-key-many";
    private static readonly string KeyA = HashOf(RawKeyA), KeyB = HashOf("sk-litellm-report-key-b"), KeyC = HashOf("sk-litellm-report-key-c");
    private readonly string dataDirectory = NewDataDirectory();
    private GatewayApiHost api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(), Settings(dataDirectory));
        await using var scope = api.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var now = DateTimeOffset.UtcNow;
        db.Teams.Add(new Team { TeamId = "team-a", TeamAlias = "Search", CreatedAt = now, UpdatedAt = now });
        db.Teams.Add(new Team { TeamId = "team-b", CreatedAt = now, UpdatedAt = now });
        db.VirtualKeys.Add(new VirtualKey { Token = KeyA, SecretHash = KeyA, KeyName = "sk-...ey-a", KeyAlias = "search-bot", CreatedAt = now, UpdatedAt = now });
        db.SpendLogs.AddRange(
            LedgerRow("r1", "team-a", KeyA, "gpt-a", "2026-03-01T10:00:00Z", 1m, user: "u1", endUser: "alice", tags: ["prod"]),
            LedgerRow("r2", "team-a", KeyA, "gpt-b", "2026-03-01T11:00:00Z", 2m, user: "u1", endUser: "bob", provider: "anthropic", tags: ["prod", "search"]),
            LedgerRow("r3", "team-b", KeyB, "gpt-a", "2026-03-02T09:00:00Z", 4m, status: "upstream_server_error", user: "u2", endUser: "alice"),
            LedgerRow("r4", null, KeyC, "gpt-a", "2026-03-02T10:00:00Z", 0.5m));
        // 600 rows of one key, in 2025: LiteLLM returns all of them for api_key=, the gateway used to stop at 100.
        var start = DateTimeOffset.Parse("2025-06-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        db.SpendLogs.AddRange(Enumerable.Range(0, 600).Select(i => LedgerRow($"many-{i:D3}", null, HashOf(RawKeyMany), "gpt-a",
            start.AddMinutes(i).ToString("O"), 0.001m)));
        await db.SaveChangesAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        DeleteDirectory(dataDirectory);
    }

    [Fact]
    public async Task SpendLogsForAKeyReturnEveryRowNotTheFirstHundred()
    {
        var rows = await GetAsync($"/spend/logs?api_key={RawKeyMany}");

        Assert.Equal(600, rows.GetArrayLength());
        Assert.Equal(0.6m, rows.EnumerateArray().Sum(r => r.GetProperty("spend").GetDecimal()));
        Assert.Equal("many-599", rows[0].GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task SpendLogsByUserIdAndByRequestIdReturnThoseRows()
    {
        var byUser = await GetAsync("/spend/logs?user_id=u1");
        var byRequest = await GetAsync("/spend/logs?request_id=r3");

        Assert.Equal(["r2", "r1"], byUser.EnumerateArray().Select(r => r.GetProperty("request_id").GetString()));
        Assert.Equal("alice", byRequest.EnumerateArray().Single().GetProperty("end_user").GetString());
    }

    [Fact]
    public async Task SpendLogsV2PagesWithLiteLlmsTotals()
    {
        var page = await GetAsync("/spend/logs/v2?team_id=team-a&page=2&page_size=1");

        Assert.Equal("r1", page.GetProperty("data").EnumerateArray().Single().GetProperty("request_id").GetString());
        Assert.Equal(2, page.GetProperty("total").GetInt64());
        Assert.Equal(2, page.GetProperty("page").GetInt32());
        Assert.Equal(1, page.GetProperty("page_size").GetInt32());
        Assert.Equal(2, page.GetProperty("total_pages").GetInt64());
        await AssertBadRequestAsync("/spend/logs/v2?page_size=101", "page_size");
    }

    [Fact]
    public async Task GlobalSpendReportByTeamGroupsEachDayByTeamAliasWithModelDetails()
    {
        var days = await GetAsync("/global/spend/report?start_date=2026-03-01&end_date=2026-03-02&group_by=team");

        Assert.Equal(["2026-03-01", "2026-03-02"], days.EnumerateArray().Select(d => d.GetProperty("group_by_day").GetString()));
        var search = days[0].GetProperty("teams").EnumerateArray().Single();
        Assert.Equal("Search", search.GetProperty("team_name").GetString());
        Assert.Equal(3m, search.GetProperty("total_spend").GetDecimal());
        var top = search.GetProperty("metadata")[0];
        Assert.Equal(("gpt-b", KeyA, 2m, 15L), (top.GetProperty("model").GetString(), top.GetProperty("api_key").GetString(),
            top.GetProperty("spend").GetDecimal(), top.GetProperty("total_tokens").GetInt64()));
        Assert.Equal(["team-b", "Unassigned Team"], days[1].GetProperty("teams").EnumerateArray().Select(t => t.GetProperty("team_name").GetString()));
    }

    [Fact]
    public async Task GlobalSpendReportByCustomerAndByApiKey()
    {
        var customers = await GetAsync("/global/spend/report?start_date=2026-03-01&end_date=2026-03-02&group_by=customer");
        var keys = await GetAsync("/global/spend/report?start_date=2026-03-01&end_date=2026-03-02&group_by=api_key");

        Assert.Equal(["bob", "alice"], customers[0].GetProperty("customers").EnumerateArray().Select(c => c.GetProperty("customer").GetString()));
        Assert.Equal([KeyB, KeyA, KeyC], keys.EnumerateArray().Select(k => k.GetProperty("api_key").GetString()));
        Assert.Equal(3m, keys[1].GetProperty("total_cost").GetDecimal());
        Assert.Equal("search-bot", keys[1].GetProperty("key_alias").GetString());
        Assert.Equal(["gpt-b", "gpt-a"], keys[1].GetProperty("model_details").EnumerateArray().Select(m => m.GetProperty("model").GetString()));
        await AssertBadRequestAsync("/global/spend/report?start_date=2026-03-01&end_date=2026-03-02&group_by=model", "group_by");
        await AssertBadRequestAsync("/global/spend/report?start_date=2026-03-01", "end_date");
    }

    [Fact]
    public async Task GlobalSpendKeysTeamsAndModelsRankBySpend()
    {
        var keys = await GetAsync("/global/spend/keys?start_date=2026-03-01&limit=2");
        var teams = await GetAsync("/global/spend/teams?start_date=2026-03-01");
        var models = await GetAsync("/global/spend/models?start_date=2026-03-01");

        Assert.Equal([KeyB, KeyA], keys.EnumerateArray().Select(k => k.GetProperty("api_key").GetString()));
        Assert.Equal(("search-bot", "sk-...ey-a", 3m), (keys[1].GetProperty("key_alias").GetString(), keys[1].GetProperty("key_name").GetString(),
            keys[1].GetProperty("total_spend").GetDecimal()));
        Assert.Equal(3m, teams.GetProperty("daily_spend")[0].GetProperty("Search").GetDecimal());
        Assert.Equal(0.5m, teams.GetProperty("daily_spend")[1].GetProperty("Unassigned").GetDecimal());
        Assert.Equal(["team-b", "Search", "Unassigned"], teams.GetProperty("total_spend_per_team").EnumerateArray().Select(t => t.GetProperty("team_id").GetString()));
        Assert.Equal(3, teams.GetProperty("teams").GetArrayLength());
        Assert.Equal([("gpt-a", 5.5m), ("gpt-b", 2m)], models.EnumerateArray().Select(m => (m.GetProperty("model").GetString(), m.GetProperty("total_spend").GetDecimal())));
    }

    [Fact]
    public async Task GlobalSpendKeysWithoutADateCoverTheLastThirtyDays()
    {
        Assert.Equal(0, (await GetAsync("/global/spend/keys")).GetArrayLength());
    }

    [Fact]
    public async Task SpendTagsCountEachTagOfARequest()
    {
        var tags = await GetAsync("/spend/tags?start_date=2026-03-01&end_date=2026-03-31");

        Assert.Equal([("prod", 2L, 3m), ("search", 1L, 2m)], tags.EnumerateArray().Select(t => (t.GetProperty("individual_request_tag").GetString(),
            t.GetProperty("log_count").GetInt64(), t.GetProperty("total_spend").GetDecimal())));
    }

    [Fact]
    public async Task UserDailyActivityBreaksEachDayDownByModelProviderAndKeyAndPagesOverDays()
    {
        var activity = await GetAsync("/user/daily/activity?start_date=2026-03-01&end_date=2026-03-02");
        var secondPage = await GetAsync("/user/daily/activity?start_date=2026-03-01&end_date=2026-03-02&page=2&page_size=1");

        var first = activity.GetProperty("results")[0];
        Assert.Equal("2026-03-01", first.GetProperty("date").GetString());
        Assert.Equal(3m, first.GetProperty("metrics").GetProperty("spend").GetDecimal());
        Assert.Equal(2, first.GetProperty("metrics").GetProperty("successful_requests").GetInt64());
        var breakdown = first.GetProperty("breakdown");
        Assert.Equal(2m, breakdown.GetProperty("providers").GetProperty("anthropic").GetProperty("metrics").GetProperty("spend").GetDecimal());
        Assert.Equal(1m, breakdown.GetProperty("models").GetProperty("gpt-a").GetProperty("metrics").GetProperty("spend").GetDecimal());
        Assert.Equal("search-bot", breakdown.GetProperty("api_keys").GetProperty(KeyA).GetProperty("metadata").GetProperty("key_alias").GetString());
        var metadata = activity.GetProperty("metadata");
        Assert.Equal((7.5m, 4L, 1L), (metadata.GetProperty("total_spend").GetDecimal(), metadata.GetProperty("total_api_requests").GetInt64(),
            metadata.GetProperty("total_failed_requests").GetInt64()));
        Assert.Equal("2026-03-02", secondPage.GetProperty("results").EnumerateArray().Single().GetProperty("date").GetString());
        Assert.False(secondPage.GetProperty("metadata").GetProperty("has_more").GetBoolean());
        await AssertBadRequestAsync("/user/daily/activity?start_date=2026-03-01", "end_date");
    }

    [Fact]
    public async Task TheReportsNeedTheMasterKey()
    {
        using var client = api.CreateLoopbackClient("sk-not-the-master-key");
        foreach (var path in new[] { "/global/spend/keys", "/spend/tags", "/spend/logs/v2", "/user/daily/activity" })
        {
            using var response = await client.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    private Task<JsonElement> GetAsync(string url) => GetJsonAsync(api, url);

    private Task AssertBadRequestAsync(string url, string param) => SpendTestData.AssertBadRequestAsync(api, url, param);
}
