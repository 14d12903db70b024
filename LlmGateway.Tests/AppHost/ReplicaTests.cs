using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.Testing;
using StackExchange.Redis;

namespace LlmGateway.Tests.AppHost;

/// <summary>Two Api replicas started by the AppHost (<c>Api:Replicas=2</c>) keep every limit exact between them.</summary>
public sealed class ReplicaTests(ReplicasFixture fixture) : IClassFixture<ReplicasFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheAppHostStartsTwoApiProcessesEachOnItsOwnPort()
    {
        Assert.Equal(2, fixture.Replicas.Distinct().Count());
        foreach (var replica in Enumerable.Range(0, 2))
        {
            using var client = fixture.Client(replica);
            using var response = await client.GetAsync("/health/readiness", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task ATeamRpmLimitOfTwentyAdmitsExactlyTwentyOfSixtyConcurrentRequestsAcrossReplicas()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "replicas-rpm", rpm_limit = 20 });

        var results = await SendConcurrentlyAsync(60, key, ReplicasFixture.MeteredModel);

        Assert.Equal(20, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.Status);
            Assert.Contains("rate_limit_exceeded", r.Body);
        });
        // Both replicas answered from the one shared counter (which one wins a slot is a race).
        Assert.All(Enumerable.Range(0, 2), replica => Assert.Equal(30, results.Count(r => r.Replica == replica)));
    }

    [Fact]
    public async Task ATeamBudgetOfFiveCallsAdmitsExactlyFiveOfFortyConcurrentRequestsAcrossReplicas()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "replicas-budget", max_budget = 5 * ReplicasFixture.MeteredCallCost });

        var results = await SendConcurrentlyAsync(40, key, ReplicasFixture.MeteredModel);

        Assert.Equal(5, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Contains("budget_exceeded", r.Body));
        using var admin = fixture.Client(1, AppHostFixture.MasterKey);
        var info = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={teamId}", Ct);
        Assert.Equal(5 * ReplicasFixture.MeteredCallCost, info.GetProperty("team_info").GetProperty("spend").GetDecimal());
    }

    [Fact]
    public async Task AKeyBlockedThroughOneReplicaIsRefusedByEveryReplicaWithinASecond()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "replicas-revoke" });
        foreach (var replica in Enumerable.Range(0, 2))
        {
            // Warm each replica's key cache, so the refusal below proves invalidation rather than a cold lookup.
            using var client = fixture.Client(replica);
            using var warm = await client.SendAsync(ReplicasFixture.Chat(key), Ct);
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        using (var admin = fixture.Client(0, AppHostFixture.MasterKey))
        {
            (await admin.PostAsJsonAsync("/key/block", new { key }, Ct)).EnsureSuccessStatusCode();
        }

        var blocked = Stopwatch.StartNew();
        foreach (var replica in Enumerable.Range(0, 2))
        {
            using var client = fixture.Client(replica);
            HttpStatusCode status;
            do
            {
                using var response = await client.SendAsync(ReplicasFixture.Chat(key), Ct);
                status = response.StatusCode;
            }
            while (status == HttpStatusCode.OK && blocked.Elapsed < TimeSpan.FromSeconds(1));

            Assert.Equal(HttpStatusCode.Unauthorized, status);
        }

        Assert.True(blocked.Elapsed < TimeSpan.FromSeconds(1), $"refused everywhere after {blocked.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task ADeploymentCooledDownByOneReplicaIsSkippedByTheOther()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "replicas-cooldown" });

        using var first = fixture.Client(0);
        using var failedOver = await first.SendAsync(ReplicasFixture.Chat(key, ReplicasFixture.FlakyModel), Ct);
        Assert.Equal(HttpStatusCode.OK, failedOver.StatusCode);
        Assert.Equal("flaky-up", Header(failedOver, "x-gateway-deployment"));
        Assert.Equal("2", Header(failedOver, "x-gateway-attempts"));

        using var second = fixture.Client(1);
        using var skipped = await second.SendAsync(ReplicasFixture.Chat(key, ReplicasFixture.FlakyModel), Ct);
        Assert.Equal(HttpStatusCode.OK, skipped.StatusCode);
        Assert.Equal("flaky-up", Header(skipped, "x-gateway-deployment"));
        Assert.Equal("1", Header(skipped, "x-gateway-attempts"));
    }

    [Fact]
    public async Task TheAdminKeepsItsDataProtectionKeysInTheSharedRedis()
    {
        using var admin = fixture.App.CreateHttpClient("admin");
        using var signIn = await admin.GetAsync("/account/signin", Ct); // renders an antiforgery token: creates the key ring
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);

        var redis = await fixture.App.GetConnectionStringAsync("redis", Ct);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis!);
        Assert.True(await connection.GetDatabase().KeyExistsAsync("llmgateway:admin:data-protection-keys"));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    private sealed record Outcome(int Replica, HttpStatusCode Status, string Body);

    /// <summary>Sends <paramref name="count"/> requests at once, alternating between the two replicas.</summary>
    private async Task<Outcome[]> SendConcurrentlyAsync(int count, string key, string model)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 128 };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        using var go = new SemaphoreSlim(0);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            var replica = i % 2;
            await go.WaitAsync(Ct);
            using var request = ReplicasFixture.Chat(key, model);
            request.RequestUri = new Uri(fixture.Replicas[replica], "/v1/chat/completions");
            using var response = await client.SendAsync(request, Ct);
            return new Outcome(replica, response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }).ToList();
        go.Release(count);
        return await Task.WhenAll(tasks);
    }
}
