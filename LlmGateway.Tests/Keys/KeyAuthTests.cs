using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Keys;

public sealed class KeyAuthTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GeneratedKeysAreSkPlusAtLeast32RandomBytesAndShowOnlyAPrefixAfterwards()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "format-team" });
        Assert.StartsWith("sk-", key);
        Assert.True(Convert.FromBase64String(Pad(key[3..].Replace('-', '+').Replace('_', '/'))).Length >= 32);

        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = await admin.GetStringAsync($"/key/info?key={key}", Ct);
        Assert.DoesNotContain(key, info);
        Assert.Contains(key[..7] + "..." + key[^4..], info);
    }

    [Fact]
    public async Task BlockingAKeyOnOneReplicaIsSeenByTheOtherWithinOneSecond()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "revocation-team" });
        using var replica = fixture.Replica.CreateLoopbackClient();
        using (var warm = await replica.SendAsync(GovernanceFixture.Chat(key), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode); // the replica has the key cached now
        }

        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        (await admin.PostAsJsonAsync("/key/block", new { key }, Ct)).EnsureSuccessStatusCode();
        var blockedAt = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var response = await replica.SendAsync(GovernanceFixture.Chat(key), Ct);
            status = response.StatusCode;
            if (status == HttpStatusCode.Unauthorized)
            {
                var body = await response.Content.ReadAsStringAsync(Ct);
                Assert.DoesNotContain(key, body);
                Assert.Contains("blocked", body);
            }
        }
        while (status != HttpStatusCode.Unauthorized && blockedAt.Elapsed < TimeSpan.FromSeconds(3));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.True(blockedAt.Elapsed < TimeSpan.FromSeconds(1), $"seen after {blockedAt.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task DeletedAndExpiredKeysAreRefusedWith401WithoutEchoingThem()
    {
        var (_, deleted) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "delete-team" });
        var (_, expiring) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "expiry-team" }, new { duration = "1s" });
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        (await admin.PostAsJsonAsync("/key/delete", new { keys = new[] { deleted } }, Ct)).EnsureSuccessStatusCode();
        await Task.Delay(1200, Ct);

        using var client = fixture.Api.CreateLoopbackClient();
        foreach (var key in new[] { deleted, expiring, "sk-not-a-real-key-0000000000000000000000" })
        {
            using var response = await client.SendAsync(GovernanceFixture.Chat(key), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.DoesNotContain(key, body);
            Assert.Equal("invalid_api_key", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString());
        }
    }

    [Fact]
    public async Task RegeneratingAKeyKeepsTheOldSecretWorkingForTheGracePeriodOnly()
    {
        var (_, old) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "regen-team" });
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var regenerated = await admin.PostAsJsonAsync($"/key/{old}/regenerate", new { grace_period = "1h" }, Ct);
        regenerated.EnsureSuccessStatusCode();
        var fresh = (await regenerated.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("key").GetString()!;
        Assert.NotEqual(old, fresh);

        using var client = fixture.Api.CreateLoopbackClient();
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(GovernanceFixture.Chat(fresh), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(GovernanceFixture.Chat(old), Ct)).StatusCode);

        using var noGrace = await admin.PostAsJsonAsync($"/key/{fresh}/regenerate", new { }, Ct);
        var newest = (await noGrace.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(GovernanceFixture.Chat(fresh), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(GovernanceFixture.Chat(newest), Ct)).StatusCode);
    }

    [Fact]
    public async Task AKeyOnlySeesAndUsesTheModelsItIsAllowed()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "models-team", models = new[] { GovernanceFixture.Model } });
        using var client = fixture.Api.CreateLoopbackClient(key);
        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models", Ct);
        Assert.Equal([GovernanceFixture.Model], models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToArray());

        using var forbidden = await client.SendAsync(GovernanceFixture.Chat(key, "other-model"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        var error = (await forbidden.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error");
        Assert.Equal("model_not_allowed", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task AVirtualKeyCannotUseTheManagementApiSoTeamsCannotReadEachOther()
    {
        var (teamA, keyA) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "tenant-a" });
        var (teamB, _) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "tenant-b" });
        using var client = fixture.Api.CreateLoopbackClient(keyA);
        foreach (var path in new[] { $"/team/info?team_id={teamB}", $"/team/info?team_id={teamA}", "/team/list", $"/key/list?team_id={teamB}" })
        {
            using var response = await client.GetAsync(path, Ct);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using var create = await client.PostAsJsonAsync("/key/generate", new { team_id = teamB }, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
    }

    [Fact]
    public async Task AKeysLastUseAndLifetimeSpendAreRecordedFromTheLedger()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "last-used-team" });
        using var client = fixture.Api.CreateLoopbackClient();
        (await client.SendAsync(GovernanceFixture.Chat(key), Ct)).EnsureSuccessStatusCode();

        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        JsonElement info = default;
        await LocalProcess.WaitUntilAsync(async () =>
        {
            info = (await admin.GetFromJsonAsync<JsonElement>($"/key/info?key={key}", Ct)).GetProperty("info");
            return info.GetProperty("last_used_at").ValueKind == JsonValueKind.String;
        }, TimeSpan.FromSeconds(20), "last_used_at");
        Assert.True(info.GetProperty("last_used_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal(0.01m, info.GetProperty("spend").GetDecimal());
    }

    [Fact]
    public async Task TeamNamesWithSqlAreStoredLiterally()
    {
        const string alias = "'; DROP TABLE teams;--";
        var (teamId, _) = await fixture.CreateTeamAndKeyAsync(new { team_alias = alias });
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={Uri.EscapeDataString(teamId)}", Ct);
        Assert.Equal(alias, info.GetProperty("team_info").GetProperty("team_alias").GetString());
        var teams = await admin.GetFromJsonAsync<JsonElement>("/team/list", Ct);
        Assert.Contains(teams.EnumerateArray(), t => t.GetProperty("team_alias").GetString() == alias);
    }

    [Fact]
    public async Task NoRawKeyIsStoredInPostgresOrRedisOrWrittenToTheLogs()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "storage-team", max_budget = 5, rpm_limit = 100 });
        using var client = fixture.Api.CreateLoopbackClient();
        (await client.SendAsync(GovernanceFixture.Chat(key), Ct)).EnsureSuccessStatusCode();

        await using var connection = new Npgsql.NpgsqlConnection(fixture.DatabaseConnection);
        await connection.OpenAsync(Ct);
        foreach (var table in new[] { "teams", "virtual_keys", "spend_logs" })
        {
            await using var command = new Npgsql.NpgsqlCommand($"SELECT count(*) FROM {table} t WHERE t::text LIKE '%' || @secret || '%'", connection);
            command.Parameters.AddWithValue("secret", key[3..]);
            Assert.Equal(0L, (long)(await command.ExecuteScalarAsync(Ct))!);
        }

        // Including the failures: a wrong, a blocked and a deleted key.
        (await fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey).PostAsJsonAsync("/key/block", new { key }, Ct)).EnsureSuccessStatusCode();
        await client.SendAsync(GovernanceFixture.Chat(key), Ct);
        await client.SendAsync(GovernanceFixture.Chat(key + "x"), Ct);
        Assert.NotEmpty(fixture.Logs.Lines);
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(key[3..], StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(GatewayApiHost.MasterKey, StringComparison.Ordinal));

        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(fixture.RedisConnection + ",allowAdmin=true");
        var server = redis.GetServers().Single();
        await foreach (var redisKey in server.KeysAsync(pattern: "*"))
        {
            Assert.DoesNotContain(key[3..], redisKey.ToString());
        }
    }

    private static string Pad(string base64) => base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
}
