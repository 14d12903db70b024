using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Telemetry;

/// <summary>Content logging: only for keys or teams with <c>log_content: true</c>, readable with the master key only, audited, deleted after the retention.</summary>
public sealed class ContentLogTests(TestServers servers)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ContentIsLoggedOnlyForKeysOrTeamsThatAskReadableByTheMasterKeyAuditedAndGoneAfterTheRetention()
    {
        var canary = $"canary-{Guid.NewGuid():N}";
        await using var gateway = await TelemetryGateway.StartUpstreamAsync();
        var database = await servers.CreateDatabaseAsync();
        var api = await gateway.StartApiAsync(database, await servers.CreateRedisAsync(),
            ("Gateway:ContentLogRetention", "00:00:03"), ("Gateway:ContentLogSweepInterval", "00:00:00.500"));
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, keyLogged) = await TelemetryGateway.CreateTeamAndKeyAsync(admin, key: new { metadata = new { log_content = true } });
        var (_, teamLogged) = await TelemetryGateway.CreateTeamAndKeyAsync(admin, team: new { team_alias = "debugging", metadata = new { log_content = true } });
        var (_, notLogged) = await TelemetryGateway.CreateTeamAndKeyAsync(admin);
        gateway.Upstream.Default = FakeResponse.Ok with { Text = $"the answer {canary}" };
        using var client = api.CreateLoopbackClient();

        var logged = new List<string>();
        foreach (var (key, stream) in new[] { (keyLogged, false), (keyLogged, true), (teamLogged, true) })
        {
            using var response = await client.SendAsync(TelemetryGateway.Chat(key, stream, $"prompt {canary}"), Ct);
            Assert.Contains(canary, await response.Content.ReadAsStringAsync(Ct));
            logged.Add(TelemetryGateway.RequestId(response));
        }

        using (var plain = await client.SendAsync(TelemetryGateway.Chat(notLogged, stream: false, $"prompt {canary}-plain"), Ct))
        {
            plain.EnsureSuccessStatusCode();
            await TelemetryGateway.WaitForRowAsync(database, TelemetryGateway.RequestId(plain), TimeSpan.FromSeconds(10));
        }

        foreach (var id in logged)
        {
            var entries = await ReadAsync(admin, id);
            var entry = Assert.Single(entries.EnumerateArray());
            Assert.Contains($"prompt {canary}", entry.GetProperty("request").GetString());
            Assert.Contains(canary, entry.GetProperty("response").GetString()); // as sent: JSON, or the SSE events of a stream
        }

        Assert.Equal(3L, await ScalarAsync<long>(database, "SELECT count(*) FROM content_logs"));
        Assert.Equal(0L, await ScalarAsync<long>(database, $"SELECT count(*) FROM content_logs WHERE request LIKE '%{canary}-plain%'"));
        Assert.Equal(3L, await ScalarAsync<long>(database,
            "SELECT count(*) FROM audit_log WHERE actor = 'master_key' AND action = 'content_logs.read' AND target = ANY(@ids)", ("ids", logged.ToArray())));

        using var withVirtualKey = api.CreateLoopbackClient(keyLogged);
        using var forbidden = await withVirtualKey.GetAsync($"/content/logs?request_id={logged[0]}", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        using var anonymous = await api.CreateLoopbackClient().GetAsync($"/content/logs?request_id={logged[0]}", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        await LocalProcess.WaitUntilAsync(async () => await ScalarAsync<long>(database, "SELECT count(*) FROM content_logs") == 0,
            TimeSpan.FromSeconds(10), "the retention sweep");
        Assert.Empty(await TelemetryExportTests.RowsContainingAsync(database, canary));
    }

    private static async Task<JsonElement> ReadAsync(HttpClient admin, string requestId)
    {
        using var response = await admin.GetAsync($"/content/logs?request_id={requestId}", Ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }
}
