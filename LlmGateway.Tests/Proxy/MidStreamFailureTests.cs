using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Proxy.MidStreamFailureFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// A stream that fails after its first chunks reached the client — an in-band error event or a dropped connection — for
/// every client/upstream pair: the client sees those chunks then exactly one error in its own grammar, the ledger row is
/// <c>stream_…</c> (never <c>success</c>), and the deployment is charged a failure: with <c>allowed_fails: 1</c> it cools
/// down, so the next request of the group goes to the backup at once.
/// </summary>
public sealed class MidStreamFailureTests(MidStreamFailureFixture fixture) : IClassFixture<MidStreamFailureFixture>, IDisposable
{
    private const string SixWords = "one two three four five six";
    private const string UpstreamMessage = "upstream exploded mid-answer";

    private readonly CancellationTokenSource timeout = NewTimeout();
    private readonly HttpClient http = NewClient(fixture.Api);

    private FakeProviderServer Fake => fixture.Fake;
    private CancellationToken Timeout => timeout.Token;

    [Theory]
    [InlineData("error-event")]
    [InlineData("dropped-connection")]
    public Task AnOpenAiClientOfAnOpenAiUpstreamWhoseStreamFailsMidwayGetsOneErrorChunkAndTheFailureIsRecordedAndCharged(string failure) =>
        StreamFailsMidwayAsync("chat", "openai", failure);

    [Theory]
    [InlineData("error-event")]
    [InlineData("dropped-connection")]
    public Task AnOpenAiClientOfAnAnthropicUpstreamWhoseStreamFailsMidwayGetsOneErrorChunkAndTheFailureIsRecordedAndCharged(string failure) =>
        StreamFailsMidwayAsync("chat", "anthropic", failure);

    [Theory]
    [InlineData("error-event")]
    [InlineData("dropped-connection")]
    public Task AnAnthropicClientOfAnOpenAiUpstreamWhoseStreamFailsMidwayGetsOneErrorEventAndTheFailureIsRecordedAndCharged(string failure) =>
        StreamFailsMidwayAsync("messages", "openai", failure);

    [Theory]
    [InlineData("error-event")]
    [InlineData("dropped-connection")]
    public Task AnAnthropicClientOfAnAnthropicUpstreamWhoseStreamFailsMidwayGetsOneErrorEventAndTheFailureIsRecordedAndCharged(string failure) =>
        StreamFailsMidwayAsync("messages", "anthropic", failure);

    [Theory]
    [InlineData("error-event")]
    [InlineData("dropped-connection")]
    public Task AResponsesClientOfAnAnthropicUpstreamWhoseStreamFailsMidwayGetsOneErrorEventAndTheFailureIsRecordedAndCharged(string failure) =>
        StreamFailsMidwayAsync("responses", "anthropic", failure);

    private async Task StreamFailsMidwayAsync(string client, string upstream, string failure)
    {
        var group = Group(client, upstream, failure);
        Fake.Reset();
        Fake.Enqueue(failure == "error-event"
            ? new FakeResponse { Text = SixWords, InBandErrorAfterChunks = 2, ErrorMessage = UpstreamMessage }
            : new FakeResponse { Text = SixWords, DropConnectionAfterChunks = 2 });

        // The stream breaks after "one two" reached the client.
        string requestId;
        using (var broken = await PostAsync(client, group, stream: true))
        {
            var events = Translation.SseText.Parse(await broken.Content.ReadAsByteArrayAsync(Timeout));
            Assert.Equal(HttpStatusCode.OK, broken.StatusCode);
            Assert.Equal(FailingId(group), Header(broken, "x-gateway-deployment"));
            requestId = Header(broken, "x-request-id") ?? throw new InvalidOperationException("no x-request-id");
            var error = client switch
            {
                "chat" => AssertOneChatErrorThenDone(events),
                "responses" => AssertOneResponsesErrorAtTheEnd(events),
                _ => AssertOneMessagesErrorLast(events),
            };
            if (failure == "error-event")
                Assert.Contains(UpstreamMessage, (string?)error["message"]);
        }

        // Nothing failed over after the first byte: one upstream call, to the failing deployment.
        Assert.Equal(FailingId(group), Assert.Single(Fake.Requests).Model);

        // The ledger says how the stream ended, not "success".
        var (status, deployment) = await LedgerRowAsync(requestId);
        Assert.NotEqual("success", status);
        Assert.StartsWith("stream_", status, StringComparison.Ordinal);
        Assert.Equal(ExpectedStatus(upstream, failure), status);
        Assert.Equal(FailingId(group), deployment);

        // The failure was charged to the deployment: one failure cools it, so the next request goes straight to the backup.
        using var next = await PostAsync(client, group, stream: false);
        await next.Content.ReadAsStringAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(BackupId(group), Header(next, "x-gateway-deployment"));
        Assert.Equal("1", Header(next, "x-gateway-attempts"));
        Assert.Equal([FailingId(group), BackupId(group)], Fake.Requests.Select(r => r.Model));
    }

    /// <summary>The status the ledger gets: <c>stream_</c> and the failure's kind (an OpenAI <c>server_error</c>, Anthropic's <c>overloaded_error</c>, a reset).</summary>
    private static string ExpectedStatus(string upstream, string failure) => failure == "dropped-connection"
        ? "stream_connection_reset"
        : upstream == "anthropic" ? "stream_overloaded" : "stream_server_error";

    /// <summary>OpenAI's grammar: the chunks' text, one <c>data: {"error":{…}}</c>, then <c>data: [DONE]</c>; no finish reason. Returns the error.</summary>
    private static JsonObject AssertOneChatErrorThenDone(List<(string? Event, string Data)> events)
    {
        Assert.All(events, e => Assert.Null(e.Event));
        Assert.Equal("[DONE]", events[^1].Data);
        Assert.Single(events, e => e.Data == "[DONE]");
        var error = Assert.Single(events, e => e.Data.Contains("\"error\"", StringComparison.Ordinal));
        Assert.Equal(events[^2], error);
        var chunks = events.Take(events.Count - 2).Select(e => JsonNode.Parse(e.Data)!).ToList();
        Assert.Equal("one two", string.Concat(chunks.Select(c => (string?)c["choices"]?[0]?["delta"]?["content"])));
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", (string?)c["object"]));
        Assert.DoesNotContain(events, e => e.Data.Contains("\"finish_reason\":\"", StringComparison.Ordinal));

        var inner = Assert.IsType<JsonObject>(Assert.Single(JsonNode.Parse(error.Data)!.AsObject()).Value);
        Assert.Equal(["message", "type", "param", "code"], inner.Select(p => p.Key));
        Assert.False(string.IsNullOrWhiteSpace((string?)inner["message"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)inner["type"]));
        return inner;
    }

    /// <summary>Anthropic's grammar: one <c>message_start</c>, the deltas' text, one <c>event: error</c> last; no <c>message_stop</c>. Returns the error.</summary>
    private static JsonObject AssertOneMessagesErrorLast(List<(string? Event, string Data)> events)
    {
        Assert.Equal("message_start", events[0].Event);
        Assert.Single(events, e => e.Event == "message_start");
        var error = Assert.Single(events, e => e.Event == "error");
        Assert.Equal(events[^1], error);
        Assert.DoesNotContain(events, e => e.Event is "message_stop" or "message_delta");
        Assert.DoesNotContain(events, e => e.Data.Contains("[DONE]", StringComparison.Ordinal));
        Assert.Equal("one two", string.Concat(events
            .Where(e => e.Event == "content_block_delta")
            .Select(e => (string?)JsonNode.Parse(e.Data)!["delta"]?["text"])));

        var body = JsonNode.Parse(error.Data)!.AsObject();
        Assert.Equal("error", (string?)body["type"]);
        var inner = Assert.IsType<JsonObject>(body["error"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)inner["type"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)inner["message"]));
        return inner;
    }

    /// <summary>
    /// The Responses grammar: <c>response.created</c>, the deltas' text, then one <c>error</c> event (followed by
    /// <c>response.failed</c> when the encoder knows the answer so far); never <c>response.completed</c> or a silent end.
    /// </summary>
    private static JsonObject AssertOneResponsesErrorAtTheEnd(List<(string? Event, string Data)> events)
    {
        Assert.Equal("response.created", events[0].Event);
        Assert.All(events, e => Assert.Equal(e.Event, (string?)JsonNode.Parse(e.Data)!["type"]));
        var error = Assert.Single(events, e => e.Event == "error");
        Assert.Contains(events[^1].Event, new[] { "error", "response.failed" });
        Assert.True(events.IndexOf(error) >= events.Count - 2, "the error event is the last or the one before response.failed");
        Assert.DoesNotContain(events, e => e.Event is "response.completed" or "response.incomplete");
        Assert.DoesNotContain(events, e => e.Data.Contains("[DONE]", StringComparison.Ordinal));
        Assert.Equal("one two", string.Concat(events
            .Where(e => e.Event == "response.output_text.delta")
            .Select(e => (string?)JsonNode.Parse(e.Data)!["delta"])));

        var body = JsonNode.Parse(error.Data)!.AsObject();
        Assert.False(string.IsNullOrWhiteSpace((string?)body["code"]));
        Assert.False(string.IsNullOrWhiteSpace((string?)body["message"]));
        return body;
    }

    /// <summary>Polls (bounded) until the request's ledger row is written from the Redis stream; returns its status and deployment.</summary>
    private async Task<(string Status, string? Deployment)> LedgerRowAsync(string requestId)
    {
        const string count = "SELECT count(*) FROM spend_logs WHERE request_id = @id";
        await LocalProcess.WaitUntilAsync(async () =>
        {
            Timeout.ThrowIfCancellationRequested();
            try
            {
                return await Spend.SpendTestData.ScalarAsync<long>(fixture.Database, count, ("id", requestId)) > 0;
            }
            catch (Npgsql.NpgsqlException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), $"the ledger row of {requestId}");
        Assert.Equal(1, await Spend.SpendTestData.ScalarAsync<long>(fixture.Database, count, ("id", requestId)));
        var status = await Spend.SpendTestData.ScalarAsync<string>(fixture.Database,
            "SELECT status FROM spend_logs WHERE request_id = @id", ("id", requestId));
        var deployment = await Spend.SpendTestData.ScalarAsync<object>(fixture.Database,
            "SELECT deployment_id FROM spend_logs WHERE request_id = @id", ("id", requestId));
        return (status, deployment as string);
    }

    private Task<HttpResponseMessage> PostAsync(string client, string group, bool stream)
    {
        var body = new JsonObject { ["model"] = group, ["stream"] = stream };
        if (client == "responses")
        {
            body["input"] = "Say hello";
            body["max_output_tokens"] = 100;
        }
        else
        {
            body["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Say hello" });
        }

        if (client == "messages")
            body["max_tokens"] = 100;
        var path = client switch { "chat" => "/v1/chat/completions", "responses" => "/v1/responses", _ => "/v1/messages" };
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Timeout);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static CancellationTokenSource NewTimeout()
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(TimeSpan.FromSeconds(40));
        return source;
    }

    private static HttpClient NewClient(GatewayApiHost api) => new(new SocketsHttpHandler
    {
        MaxResponseDrainSize = 0,
        UseCookies = false,
        // The Api's tracer listens in this process too: send no trace headers, like an outside client.
        ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
    })
    {
        BaseAddress = api.BaseAddress,
        Timeout = TimeSpan.FromSeconds(30),
        DefaultRequestHeaders = { Authorization = new("Bearer", GatewayApiHost.MasterKey) },
    };

    public void Dispose()
    {
        http.Dispose();
        timeout.Dispose();
    }
}
