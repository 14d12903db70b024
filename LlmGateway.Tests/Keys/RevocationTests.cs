using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using StackExchange.Redis;
using static LlmGateway.Tests.Keys.RevocationFixture;

namespace LlmGateway.Tests.Keys;

/// <summary>
/// A key blocked or deleted (or its team blocked) reaches every replica over Redis pub/sub: its in-flight streams are cut
/// with an error event in the client's own grammar, billed for what was delivered; and a replica whose subscription
/// dropped (Redis restarted, the connection killed) subscribes again, says so, and still receives the next revocation.
/// </summary>
public sealed class RevocationTests(RevocationFixture fixture) : IClassFixture<RevocationFixture>
{
    /// <summary>The cut must come well before the 200-word stream (100 ms a word) would have ended; 1 s is the aim.</summary>
    private static readonly TimeSpan CutBound = TimeSpan.FromSeconds(8);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("chat", OpenAiGroup, "block-key")]
    [InlineData("messages", OpenAiGroup, "delete-key")]
    [InlineData("responses", AnthropicGroup, "block-team")]
    [InlineData("chat", AnthropicGroup, "block-team")]
    public async Task AStreamOfAKeyRevokedOnAnotherReplicaEndsAtOnceWithAnErrorEventAndIsBilledForWhatItGot(string client, string group, string revocation)
    {
        using var admin = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (teamId, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = $"revoke-{revocation}-{Guid.NewGuid():N}" }, null, Ct);
        fixture.Fake.Enqueue(new FakeResponse
        {
            Text = string.Join(' ', Enumerable.Range(0, 200).Select(i => $"w{i}")),
            DelayBetweenChunks = TimeSpan.FromMilliseconds(100),
        });

        // The stream runs on replica B; the key is revoked on replica A once its first words arrived.
        using var http = fixture.B.CreateLoopbackClient(key);
        http.Timeout = TimeSpan.FromSeconds(60);
        using var response = await http.SendAsync(StreamRequest(client, group), HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("x-request-id").Single();
        await using var body = await response.Content.ReadAsStreamAsync(Ct);
        var received = new MemoryStream();
        await ReadUntilAsync(body, received, "w2");

        await RevokeAsync(admin, revocation, key, teamId);
        var cut = Stopwatch.StartNew();
        await body.CopyToAsync(received, Ct);
        cut.Stop();

        Assert.True(cut.Elapsed < CutBound, $"the stream ended {cut.Elapsed.TotalSeconds:0.0} s after the revocation");
        var events = Translation.SseText.Parse(received.ToArray());
        Assert.Equal("key_revoked", ErrorCode(client, events));
        Assert.DoesNotContain(events, e => e.Data.Contains("w199", StringComparison.Ordinal));

        // The ledger says why it ended, and the words delivered are billed (the upstream never sent its usage).
        var (_, completion, spend, rows) = await Telemetry.TelemetryGateway.WaitForRowAsync(fixture.Database, requestId, TimeSpan.FromSeconds(20));
        Assert.Equal(1, rows);
        Assert.Equal("stream_key_revoked", await Spend.SpendTestData.ScalarAsync<string>(fixture.Database,
            "SELECT status FROM spend_logs WHERE request_id = @id", ("id", requestId)));
        Assert.True(completion >= 2, $"completion tokens billed: {completion}");
        Assert.True(spend > 0, $"spend: {spend}");

        // And the key itself is refused on both replicas.
        foreach (var replica in new[] { fixture.A, fixture.B })
        {
            using var again = await replica.CreateLoopbackClient(key).PostAsJsonAsync("/v1/chat/completions", Chat(OpenAiGroup), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        }
    }

    [Theory]
    [InlineData("restart-redis")]
    [InlineData("kill-connections")]
    public async Task AReplicaWhoseSubscriptionDroppedSubscribesAgainAndStillReceivesTheNextRevocation(string drop)
    {
        using var admin = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = $"resubscribe-{drop}-{Guid.NewGuid():N}" }, null, Ct);
        using var onB = fixture.B.CreateLoopbackClient(key);
        using (var first = await onB.PostAsJsonAsync("/v1/chat/completions", Chat(OpenAiGroup), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode); // B caches the record for 5 minutes
        }

        var before = (await RevocationStateAsync(fixture.A), await RevocationStateAsync(fixture.B));
        Assert.True(before.Item1.GetProperty("subscribed").GetBoolean() && before.Item2.GetProperty("subscribed").GetBoolean());
        if (drop == "restart-redis")
        {
            await fixture.Redis.StopAsync();
            await fixture.Redis.StartAsync();
        }
        else
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Redis.ConnectionString + ",allowAdmin=true");
            await redis.GetServers()[0].ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        }

        // Both replicas notice, subscribe again and say so in /health and /metrics.
        foreach (var (replica, state) in new[] { (fixture.A, before.Item1), (fixture.B, before.Item2) })
        {
            var resubscribes = state.GetProperty("resubscribes").GetInt64();
            await LocalProcess.WaitUntilAsync(async () =>
            {
                var now = await RevocationStateAsync(replica);
                return now.GetProperty("subscribed").GetBoolean() && now.GetProperty("resubscribes").GetInt64() > resubscribes;
            }, TimeSpan.FromSeconds(60), "the subscription to key changes coming back");
        }

        using (var scrape = await fixture.B.CreateLoopbackClient().GetAsync("/metrics", Ct))
        {
            var metrics = await scrape.Content.ReadAsStringAsync(Ct);
            Assert.Contains("llmgateway_keys_subscription_resubscribes", metrics);
            Assert.Contains("llmgateway_keys_subscription_up", metrics);
        }

        using (var served = await onB.PostAsJsonAsync("/v1/chat/completions", Chat(OpenAiGroup), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        // Blocked on A: B refuses it long before its 5-minute cache entry would have expired.
        using (var blocked = await admin.PostAsJsonAsync("/key/block", new { key }, Ct))
        {
            blocked.EnsureSuccessStatusCode();
        }

        var refused = Stopwatch.StartNew();
        await LocalProcess.WaitUntilAsync(async () =>
        {
            using var attempt = await onB.PostAsJsonAsync("/v1/chat/completions", Chat(OpenAiGroup), Ct);
            return attempt.StatusCode == HttpStatusCode.Unauthorized;
        }, TimeSpan.FromSeconds(10), "replica B refusing the key blocked on replica A");
        Assert.True(refused.Elapsed < TimeSpan.FromSeconds(10));
    }

    private static async Task<JsonElement> RevocationStateAsync(GatewayApiHost replica)
    {
        using var admin = replica.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var health = await admin.GetFromJsonAsync<JsonElement>("/health", Ct);
        return health.GetProperty("key_revocation");
    }

    private static async Task RevokeAsync(HttpClient admin, string revocation, string key, string teamId)
    {
        using var response = revocation switch
        {
            "block-key" => await admin.PostAsJsonAsync("/key/block", new { key }, Ct),
            "delete-key" => await admin.PostAsJsonAsync("/key/delete", new { keys = new[] { key } }, Ct),
            _ => await admin.PostAsJsonAsync("/team/update", new { team_id = teamId, blocked = true }, Ct),
        };
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Reads the stream until <paramref name="marker"/> has arrived (the stream is flowing), keeping what it read.</summary>
    private static async Task ReadUntilAsync(Stream body, MemoryStream received, string marker)
    {
        var buffer = new byte[4096];
        while (!Encoding.UTF8.GetString(received.GetBuffer(), 0, (int)received.Length).Contains(marker, StringComparison.Ordinal))
        {
            var read = await body.ReadAsync(buffer, Ct);
            Assert.True(read > 0, "the stream ended before it started");
            received.Write(buffer, 0, read);
        }
    }

    /// <summary>The error's code in the client's own grammar (the last event, or the one before <c>[DONE]</c> / <c>response.failed</c>).</summary>
    private static string? ErrorCode(string client, List<(string? Event, string Data)> events)
    {
        switch (client)
        {
            case "chat":
                Assert.Equal("[DONE]", events[^1].Data);
                return (string?)JsonNode.Parse(events[^2].Data)!["error"]!["code"];
            case "messages":
                Assert.Equal("error", events[^1].Event);
                var error = JsonNode.Parse(events[^1].Data)!["error"]!;
                Assert.Equal("authentication_error", (string?)error["type"]);
                var message = (string?)error["message"] ?? "";
                return message.Contains("blocked or deleted", StringComparison.Ordinal) ? "key_revoked" : message;
            default:
                var last = events.Last(e => e.Event == "error");
                Assert.True(events.IndexOf(last) >= events.Count - 2);
                return (string?)JsonNode.Parse(last.Data)!["code"];
        }
    }

    private static HttpRequestMessage StreamRequest(string client, string group)
    {
        JsonObject body = client switch
        {
            "responses" => new JsonObject { ["model"] = group, ["stream"] = true, ["input"] = "Count", ["max_output_tokens"] = 1000 },
            _ => new JsonObject
            {
                ["model"] = group,
                ["stream"] = true,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Count" }),
            },
        };
        if (client == "messages")
            body["max_tokens"] = 1000;
        var path = client switch { "chat" => "/v1/chat/completions", "responses" => "/v1/responses", _ => "/v1/messages" };
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
    }

    private static object Chat(string group) => new { model = group, messages = new[] { new { role = "user", content = "hello" } } };
}
