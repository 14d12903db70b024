using System.Net;
using System.Text.Json;
using LlmGateway.Api.Data;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

public sealed class SpendApiTests(TestServers servers) : IAsyncLifetime
{
    private const string RawKeyA = "sk-spend-api-key-a";
    private const string RawKeyB = "sk-spend-api-key-b";
    private readonly string dataDirectory = NewDataDirectory();
    private GatewayApiHost api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(), Settings(dataDirectory));
        await using var scope = api.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var now = DateTimeOffset.UtcNow;
        db.Teams.Add(new Team { TeamId = "team-a", MaxBudget = 10m, CreatedAt = now, UpdatedAt = now });
        db.Teams.Add(new Team { TeamId = "team-b", MaxBudget = 20m, CreatedAt = now, UpdatedAt = now });
        db.SpendLogs.AddRange(
            Row("a1", "team-a", RawKeyA, "gpt-a", "2026-03-01T10:00:00Z", 1m, 100),
            Row("a2", "team-a", RawKeyA, "gpt-a", "2026-03-01T11:00:00Z", 1m, 200),
            Row("a3", "team-a", RawKeyA, "gpt-a", "2026-03-01T12:00:00Z", 1m, 300),
            Row("a4", "team-a", RawKeyA, "gpt-a", "2026-03-02T09:00:00Z", 0m, 1000, "upstream_server_error"),
            Row("b1", "team-b", RawKeyB, "gpt-b", "2026-03-03T08:00:00Z", 2m, 50),
            Row("b2", "team-b", RawKeyB, "gpt-b", "2026-03-03T09:00:00Z", 2m, 150));
        await db.SaveChangesAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        DeleteDirectory(dataDirectory);
    }

    [Fact]
    public async Task SpendLogsWithoutAKeyIs401InTheOpenAiEnvelope()
    {
        using var client = api.CreateLoopbackClient();
        using var response = await client.GetAsync("/spend/logs", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("invalid_api_key", body.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task SpendLogsFilteredByTeamReturnOnlyThatTeamsRowsWithLiteLlmFields()
    {
        var rows = await GetArrayAsync("/spend/logs?team_id=team-a");

        Assert.Equal(4, rows.Length);
        Assert.All(rows, r => Assert.Equal("team-a", r.GetProperty("team_id").GetString()));
        var first = rows[0];
        Assert.Equal("a4", first.GetProperty("request_id").GetString());
        foreach (var field in new[] { "call_type", "api_key", "user", "end_user", "request_tags", "model_group", "model", "api_base",
                     "spend", "prompt_tokens", "completion_tokens", "total_tokens", "startTime", "endTime", "cache_hit", "status",
                     "metadata", "key_alias", "provider", "deployment_id", "attempts", "status_code", "cached_tokens",
                     "reasoning_tokens", "upstream_ttfb_ms", "total_ms", "price_unknown", "saved_cost" })
        {
            Assert.True(first.TryGetProperty(field, out _), $"missing {field}");
        }

        Assert.Equal("test", first.GetProperty("metadata").GetProperty("source").GetString());
    }

    [Fact]
    public async Task SpendLogsFilteredByRawKeyOrByItsHashReturnTheSameRowsAndNeverTheRawKey()
    {
        using var client = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var byRaw = await client.GetStringAsync($"/spend/logs?api_key={RawKeyB}", Ct);
        var byHash = await client.GetStringAsync($"/spend/logs?api_key={HashOf(RawKeyB)}", Ct);

        Assert.Equal(byRaw, byHash);
        Assert.DoesNotContain(RawKeyB, byRaw, StringComparison.Ordinal);
        var rows = JsonDocument.Parse(byRaw).RootElement.EnumerateArray().ToArray();
        Assert.Equal(["b2", "b1"], rows.Select(r => r.GetProperty("request_id").GetString()));
        Assert.All(rows, r => Assert.Equal(HashOf(RawKeyB), r.GetProperty("api_key").GetString()));
    }

    [Fact]
    public async Task SpendLogsDateRangeIncludesTheWholeEndDayAndLimitKeepsTheNewest()
    {
        var ranged = await GetArrayAsync("/spend/logs?start_date=2026-03-02&end_date=2026-03-03&summarize=false");
        Assert.Equal(["b2", "b1", "a4"], ranged.Select(r => r.GetProperty("request_id").GetString()));

        var iso = await GetArrayAsync("/spend/logs?start_date=2026-03-01T11:00:00Z&end_date=2026-03-01T12:00:00Z&summarize=false");
        Assert.Equal(["a3", "a2"], iso.Select(r => r.GetProperty("request_id").GetString()));

        var limited = await GetArrayAsync("/spend/logs?limit=2");
        Assert.Equal(["b2", "b1"], limited.Select(r => r.GetProperty("request_id").GetString()));
    }

    [Fact]
    public async Task SpendLogsWithBothDatesAreSummarizedByDayLikeLiteLlmWithEveryDayOfTheRange()
    {
        var days = await GetArrayAsync("/spend/logs?start_date=2026-03-01&end_date=2026-03-31");

        Assert.Equal(31, days.Length);
        Assert.Equal("2026-03-01", days[0].GetProperty("startTime").GetString());
        Assert.Equal(3m, days[0].GetProperty("spend").GetDecimal());
        Assert.Equal(3m, days[0].GetProperty("models").GetProperty("gpt-a").GetDecimal());
        Assert.Equal(3m, days[0].GetProperty("users").GetProperty("").GetDecimal());
        Assert.Equal(4m, days[2].GetProperty("api_keys").GetProperty(HashOf(RawKeyB)).GetDecimal());
        Assert.Equal(4m, days[2].GetProperty(HashOf(RawKeyB)).GetDecimal()); // LiteLLM's key-at-the-top-level spelling
        Assert.Equal(0m, days[30].GetProperty("spend").GetDecimal());
        Assert.Equal("2026-03-31", days[30].GetProperty("startTime").GetString());
    }

    [Fact]
    public async Task GlobalSpendIsTheLedgerTotalAndTheSumOfTeamBudgets()
    {
        using var client = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var body = JsonDocument.Parse(await client.GetStringAsync("/global/spend", Ct));

        Assert.Equal(7m, body.RootElement.GetProperty("spend").GetDecimal());
        Assert.Equal(30m, body.RootElement.GetProperty("max_budget").GetDecimal());
    }

    [Fact]
    public async Task SpendSummaryByTeamHasTotalsErrorsAndLatencyPercentiles()
    {
        var rows = await GetArrayAsync("/spend/summary?group_by=team&start_date=2026-03-01&end_date=2026-03-31");

        Assert.Equal(["team-b", "team-a"], rows.Select(r => r.GetProperty("key").GetString()));
        var a = rows[1];
        Assert.Equal(3m, a.GetProperty("spend").GetDecimal());
        Assert.Equal(4, a.GetProperty("requests").GetInt64());
        Assert.Equal(1, a.GetProperty("errors").GetInt64());
        Assert.Equal(40, a.GetProperty("prompt_tokens").GetInt64());
        Assert.Equal(250, a.GetProperty("p50_ms").GetDouble(), 3);
        Assert.Equal(895, a.GetProperty("p95_ms").GetDouble(), 3);
        Assert.Equal(145, rows[0].GetProperty("p95_ms").GetDouble(), 3);
    }

    [Fact]
    public async Task SpendSummaryByModelAndByDayGroupAccordingly()
    {
        var models = await GetArrayAsync("/spend/summary?group_by=model");
        Assert.Equal(["gpt-b", "gpt-a"], models.Select(r => r.GetProperty("key").GetString()));
        Assert.Equal(100, models[0].GetProperty("p50_ms").GetDouble(), 3);

        var days = await GetArrayAsync("/spend/summary?group_by=day&team_id=team-a");
        Assert.Equal(["2026-03-01", "2026-03-02"], days.Select(r => r.GetProperty("key").GetString()));
        Assert.Equal(200, days[0].GetProperty("p50_ms").GetDouble(), 3);
        Assert.Equal(3, days[0].GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task ASqlInjectionTeamIdIsJustAValueThatMatchesNoRows()
    {
        const string hostile = "'; DROP TABLE teams;--";
        var logs = await GetArrayAsync($"/spend/logs?team_id={Uri.EscapeDataString(hostile)}");
        var summary = await GetArrayAsync($"/spend/summary?group_by=team&team_id={Uri.EscapeDataString(hostile)}");

        Assert.Empty(logs);
        Assert.Empty(summary);
        var database = api.Services.GetRequiredConnectionString();
        Assert.Equal(2L, await ScalarAsync<long>(database, "SELECT count(*) FROM teams"));
        Assert.Equal(6L, await CountRowsAsync(database));
    }

    [Fact]
    public async Task MalformedFiltersAre400NamingTheParameter()
    {
        foreach (var (url, param) in new[] { ("/spend/logs?start_date=yesterday", "start_date"), ("/spend/logs?limit=0", "limit"),
                     ("/spend/summary?group_by=user;drop", "group_by") })
        {
            await AssertBadRequestAsync(api, url, param);
        }
    }

    private async Task<JsonElement[]> GetArrayAsync(string url) => (await GetJsonAsync(api, url)).EnumerateArray().ToArray();

    private static SpendLog Row(string id, string team, string rawKey, string model, string start, decimal spend, double totalMs,
        string status = "success") => LedgerRow(id, team, HashOf(rawKey), model, start, spend, totalMs, status);
}
