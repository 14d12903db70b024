using System.Diagnostics;
using System.Net;
using System.Text;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Routing;

public sealed class FailoverTests(TestServers servers) : RoutingTestBase(servers)
{
    public static TheoryData<string> FaultsBeforeTheFirstByte => ["500", "502", "503", "429", "529", "timeout", "reset"];

    private static FakeResponse Fault(string fault) => fault switch
    {
        "timeout" => new FakeResponse { Hang = true },
        "reset" => new FakeResponse { ResetBeforeHeaders = true },
        _ => FakeResponse.Error(int.Parse(fault)),
    };

    [Theory]
    [MemberData(nameof(FaultsBeforeTheFirstByte))]
    public async Task PrimaryFailingBeforeTheFirstByteFailsOverAndCoolsThePrimaryOnEveryReplica(string fault)
    {
        var yaml = TwoDeployments("litellm_settings:\n  allowed_fails: 1\n  cooldown_time: 60", primary: "timeout: 1");
        var replicaA = await StartApiAsync(yaml);
        var replicaB = await StartApiAsync(yaml);
        Primary.Default = Fault(fault);

        // A short answer (max_tokens 16) cannot explain a timeout: the deployment is slow, counted at once. Without a limit a
        // timeout is judged by the gateway's ping first (the next tests).
        var maxTokens = fault == "timeout" ? 16 : (int?)null;
        using var first = await ChatAsync(Client(replicaA), maxTokens: maxTokens);
        using var second = await ChatAsync(Client(replicaB), maxTokens: maxTokens);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(BackupId, Header(first, "x-gateway-deployment"));
        Assert.Equal("2", Header(first, "x-gateway-attempts"));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(BackupId, Header(second, "x-gateway-deployment"));
        Assert.Equal("1", Header(second, "x-gateway-attempts"));
        Assert.Equal(1, Primary.RequestCount);
        Assert.Equal(2, Backup.RequestCount);
    }

    /// <summary>
    /// A non-streamed request without <c>max_tokens</c> (or with a large one) may time out because its answer is long: the
    /// gateway pings the deployment (one token, the same timeout) before counting it. A hung deployment does not answer the
    /// ping either, so it is cooled down on every replica all the same — once the ping's timeout has passed.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData(32000)]
    public async Task AHungDeploymentTimingOutALongRequestIsCooledDownOnceItDoesNotAnswerTheGatewaysPing(int? maxTokens)
    {
        var yaml = TwoDeployments("litellm_settings:\n  allowed_fails: 1\n  cooldown_time: 60", primary: "timeout: 1");
        var replicaA = await StartApiAsync(yaml);
        var replicaB = await StartApiAsync(yaml);
        Primary.Default = new FakeResponse { Hang = true };

        using var first = await ChatAsync(Client(replicaA), maxTokens: maxTokens);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(BackupId, Header(first, "x-gateway-deployment"));
        await LocalProcess.WaitUntilAsync(async () => await HealthStateAsync(replicaB, PrimaryId) == "cooled_down", TimeSpan.FromSeconds(20),
            "the primary cooled down after the gateway's ping timed out");
        using var second = await ChatAsync(Client(replicaB), maxTokens: maxTokens);

        Assert.Equal(BackupId, Header(second, "x-gateway-deployment"));
        Assert.Equal("1", Header(second, "x-gateway-attempts"));
        var received = Primary.Requests;
        Assert.Equal(2, received.Count); // the request, then the gateway's ping
        Assert.False(received[0].IsPing);
        Assert.True(received[1].IsPing);
    }

    /// <summary>
    /// The same timeouts on a deployment that answers the gateway's ping at once (it was busy writing long answers, not hung):
    /// nothing is counted, it stays in routing. Three of them against <c>allowed_fails: 1</c> make one ping on the replica
    /// (its verdict answers for the next ten seconds).
    /// </summary>
    [Fact]
    public async Task LongRequestsTimingOutOnADeploymentThatAnswersThePingCountNothing()
    {
        var api = await StartApiAsync(TwoDeployments("litellm_settings:\n  allowed_fails: 1\n  cooldown_time: 60", primary: "timeout: 1"));
        Primary.Default = FakeResponse.Ok with { DelayBeforeHeaders = TimeSpan.FromSeconds(3) };
        Primary.PingResponse = FakeResponse.Ok;

        for (var i = 0; i < 3; i++)
        {
            using var response = await ChatAsync(Client(api), content: "Write a long essay", maxTokens: i == 0 ? null : 50_000);
            Assert.Equal(BackupId, Header(response, "x-gateway-deployment"));
            await LocalProcess.WaitUntilAsync(() => Task.FromResult(Primary.Requests.Any(r => r.IsPing)), TimeSpan.FromSeconds(20), "the gateway's ping");
        }

        Primary.Default = FakeResponse.Ok;
        using var after = await ChatAsync(Client(api), maxTokens: 10);

        Assert.Equal("healthy", await HealthStateAsync(api, PrimaryId));
        Assert.Equal(1, Primary.Requests.Count(r => r.IsPing));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task ACooldownReachesAReplicaThatRoutedAMomentAgoWithoutWaitingForItsSnapshotToExpire()
    {
        var yaml = TwoDeployments("litellm_settings:\n  allowed_fails: 1\n  cooldown_time: 60");
        var replicaA = await StartApiAsync(yaml);
        var replicaB = await StartApiAsync(yaml);
        Primary.Enqueue(FakeResponse.Ok);
        Primary.Default = FakeResponse.Error(500);

        // B routes once: its mirror of the primary is fresh (healthy) for the next second.
        using var warm = await ChatAsync(Client(replicaB));
        Assert.Equal(PrimaryId, Header(warm, "x-gateway-deployment"));

        // A cools the primary down; B hears it on the pub/sub channel, not by re-reading Redis a second later.
        using var failedOver = await ChatAsync(Client(replicaA));
        Assert.Equal(BackupId, Header(failedOver, "x-gateway-deployment"));
        await Task.Delay(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        using var afterCooldown = await ChatAsync(Client(replicaB));

        Assert.Equal(HttpStatusCode.OK, afterCooldown.StatusCode);
        Assert.Equal(BackupId, Header(afterCooldown, "x-gateway-deployment"));
        Assert.Equal("1", Header(afterCooldown, "x-gateway-attempts"));
        Assert.Equal(2, Primary.RequestCount);
    }

    [Theory]
    [InlineData(400, HttpStatusCode.BadRequest)]
    [InlineData(401, HttpStatusCode.BadGateway)]
    [InlineData(403, HttpStatusCode.BadGateway)]
    [InlineData(404, HttpStatusCode.NotFound)]
    [InlineData(422, HttpStatusCode.UnprocessableEntity)]
    public async Task PrimaryRejectingTheRequestPassesTheErrorOnWithoutFailoverOrCooldown(int status, HttpStatusCode expected)
    {
        var api = await StartApiAsync(TwoDeployments("litellm_settings:\n  allowed_fails: 1"));
        Primary.Default = FakeResponse.Error(status, "the provider says no");
        using var client = Client(api);

        using var first = await ChatAsync(client);
        using var second = await ChatAsync(client);

        Assert.Equal(expected, first.StatusCode);
        var message = (string?)(await JsonAsync(first))["error"]!["message"];
        if (status is 401 or 403)
        {
            Assert.DoesNotContain("the provider says no", message); // the gateway's own credential: the text is for the operator
        }
        else
        {
            Assert.Contains("the provider says no", message);
        }
        Assert.Equal(expected, second.StatusCode);
        Assert.Equal(2, Primary.RequestCount);
        Assert.Equal(0, Backup.RequestCount);
    }

    [Fact]
    public async Task StreamDyingAfterThreeChunksEndsWithAnSseErrorEventAndNoFailover()
    {
        var api = await StartApiAsync(TwoDeployments());
        Primary.Enqueue(new FakeResponse { Text = "one two three four five", DropConnectionAfterChunks = 3 });

        using var response = await ChatAsync(Client(api), stream: true);
        var body = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync(Timeout));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + 3 + 2, events.Length);
        Assert.Single(events, e => e.Contains("\"role\":\"assistant\"", StringComparison.Ordinal));
        Assert.Equal("one two three", string.Concat(events.Skip(1).Take(3).Select(e =>
            (string?)System.Text.Json.Nodes.JsonNode.Parse(e["data: ".Length..])!["choices"]![0]!["delta"]!["content"])));
        Assert.StartsWith("data: {\"error\":{\"message\":\"The upstream stream broke after it started: ", events[4], StringComparison.Ordinal);
        Assert.EndsWith("\",\"type\":\"upstream_error\",\"param\":null,\"code\":\"stream_interrupted\"}}", events[4], StringComparison.Ordinal);
        Assert.Equal("data: [DONE]", events[5]);
        Assert.EndsWith("\n\ndata: [DONE]\n\n", body, StringComparison.Ordinal);
        Assert.Equal(0, Backup.RequestCount);
        Assert.Equal(1, Primary.RequestCount);
    }

    [Fact]
    public async Task EmptyStreamFromThePrimaryFailsOverToTheBackup()
    {
        var api = await StartApiAsync(TwoDeployments());
        Primary.Enqueue(new FakeResponse { EmptyStream = true });

        using var response = await ChatAsync(Client(api), stream: true);
        var body = await response.Content.ReadAsStringAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(BackupId, Header(response, "x-gateway-deployment"));
        Assert.Equal("2", Header(response, "x-gateway-attempts"));
        Assert.Contains($"model-{BackupId}", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("502")]
    [InlineData("reset")]
    public async Task PossiblyBilledFailureIsNotRetriedOnADeploymentMarkedNoRetry(string fault)
    {
        var api = await StartApiAsync(TwoDeployments(primary: "no_retry_when_possibly_billed: true"));
        Primary.Default = Fault(fault);

        using var response = await ChatAsync(Client(api));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_possibly_billed", (string?)(await JsonAsync(response))["error"]!["code"]);
        Assert.Equal(0, Backup.RequestCount);
    }

    [Fact]
    public async Task NonBilledFailureIsStillRetriedOnADeploymentMarkedNoRetry()
    {
        var api = await StartApiAsync(TwoDeployments(primary: "no_retry_when_possibly_billed: true"));
        Primary.Default = FakeResponse.Error(503);

        using var response = await ChatAsync(Client(api));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(BackupId, Header(response, "x-gateway-deployment"));
    }

    [Fact]
    public async Task RateLimitCoolsThePrimaryAtOnceEvenWithTheDefaultAllowedFails()
    {
        var api = await StartApiAsync(TwoDeployments());
        Primary.Default = FakeResponse.Error(429);
        using var client = Client(api);

        using var first = await ChatAsync(client);
        using var second = await ChatAsync(client);

        Assert.Equal(BackupId, Header(second, "x-gateway-deployment"));
        Assert.Equal(1, Primary.RequestCount);
    }

    [Fact]
    public async Task ServerErrorCoolsThePrimaryOnlyAfterAllowedFailsWithinAMinute()
    {
        var api = await StartApiAsync(TwoDeployments("litellm_settings:\n  allowed_fails: 2\n  cooldown_time: 60"));
        Primary.Default = FakeResponse.Error(500);
        using var client = Client(api);

        for (var i = 0; i < 4; i++)
        {
            using var response = await ChatAsync(client);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(2, Primary.RequestCount);
        Assert.Equal(4, Backup.RequestCount);
    }

    [Fact]
    public async Task PrimaryDownForAWhileGetsAtMostOneProbePerCooldownPeriodThenComesBack()
    {
        var api = await StartApiAsync(TwoDeployments("litellm_settings:\n  cooldown_time: 1"));
        Primary.Default = FakeResponse.Error(503);
        using var client = Client(api);
        using (var tripping = await ChatAsync(client))
            Assert.Equal(HttpStatusCode.OK, tripping.StatusCode);
        var watch = Stopwatch.StartNew();

        // Bursts of concurrent requests while the primary is down: only the half-open probe may reach it.
        while (watch.Elapsed < TimeSpan.FromSeconds(3.5))
        {
            var burst = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => ChatAsync(client)));
            Assert.All(burst, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            foreach (var response in burst)
                response.Dispose();
            await Task.Delay(50, Timeout);
        }

        var probes = Primary.RequestCount - 1;
        Assert.InRange(probes, 2, (int)Math.Ceiling(watch.Elapsed.TotalSeconds) + 1);
        // Each probe is the gateway's own ping: no client request was sent to the deployment while it was down.
        Assert.All(Primary.Requests.Skip(1), probe => Assert.True(probe.IsPing, probe.Body));

        Primary.Default = FakeResponse.Ok;
        await Task.Delay(1200, Timeout);
        using var recovered = await ChatAsync(client);
        using var after = await ChatAsync(client);
        Assert.Equal(PrimaryId, Header(recovered, "x-gateway-deployment"));
        Assert.Equal(PrimaryId, Header(after, "x-gateway-deployment"));
    }

    [Fact]
    public async Task EveryDeploymentDownAnswers503WithRetryAfterNamingTheGroupAndEachAttempt()
    {
        var api = await StartApiAsync(TwoDeployments("litellm_settings:\n  cooldown_time: 5", primary: "timeout: 1"));
        Primary.Default = new FakeResponse { Hang = true };
        Backup.Default = FakeResponse.Error(503, "Overloaded");
        using var client = Client(api);
        var watch = Stopwatch.StartNew();

        using var response = await ChatAsync(client);
        var message = (string?)(await JsonAsync(response))["error"]!["message"];
        using var again = await ChatAsync(client);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
        Assert.StartsWith("Every deployment of model group 'chat' failed (2 attempts): ", message, StringComparison.Ordinal);
        Assert.Contains($"openai/model-{PrimaryId} → timeout", message, StringComparison.Ordinal);
        Assert.Contains($"openai/model-{BackupId} → HTTP 503 Overloaded", message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
        Assert.NotNull(again.Headers.RetryAfter?.Delta);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TtfbTimeoutFailsOverWhenTheFirstByteIsLate(bool stream)
    {
        var api = await StartApiAsync(TwoDeployments(primary: "ttfb_timeout: 0.3\ntimeout: 30"));
        Primary.Default = new FakeResponse { DelayBeforeHeaders = TimeSpan.FromSeconds(5) };
        var watch = Stopwatch.StartNew();

        using var response = await ChatAsync(Client(api), stream: stream);
        await response.Content.ReadAsStringAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(BackupId, Header(response, "x-gateway-deployment"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"took {watch.Elapsed}");
    }
}
