using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attacks on the response cache, the stream relay and the Responses API state: answers served from the cache that the
/// request should not get (another model's answer, an answer made under other upstream headers, a broken stream's half
/// answer), cache hits that slip past limits, bodies that break the cache key, and stored responses after cut streams.
/// </summary>
public sealed class CacheAndStreamAttackTests(TestServers servers) : AdversarialTestBase(servers)
{
    private const string CacheOn = """
        litellm_settings:
          cache: true
          cache_params:
            type: "redis"
            ttl: 600
        """;

    private const string CacheOnWithFallback = """
        litellm_settings:
          cache: true
          cache_params:
            type: "redis"
            ttl: 600
          fallbacks: [{"chat": ["premium"]}]
        """;

    /// <summary>"chat" on Primary, "premium" on Backup (both OpenAI), "claude" (Anthropic) on Primary; cheap and priced.</summary>
    private string Groups(string settings) => Config(
        Model("chat", "openai/cheap", Primary, "input_cost_per_token: 0", "output_cost_per_token: 0.000001")
        + Model("premium", "openai/dear", Backup, "input_cost_per_token: 0", "output_cost_per_token: 0.00001")
        + Model("claude", "anthropic/claude-test", Primary, "input_cost_per_token: 0", "output_cost_per_token: 0.000001")
        + Model("small", "openai/small", Primary, "input_cost_per_token: 0", "output_cost_per_token: 0.000001", "max_input_tokens: 300"),
        settings);

    private static string Prompt() => $"cache attack {Guid.NewGuid():N}";

    private static string ChatBody(string prompt, bool stream = false, string model = "chat") =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{prompt}}"}],"max_tokens":50,"temperature":0{{(stream ? ",\"stream\":true" : "")}}}""";

    private static string MessagesBody(string prompt) =>
        $$"""{"model":"claude","max_tokens":50,"messages":[{"role":"user","content":"{{prompt}}"}]}""";

    /// <summary>A second key in an existing team, with the fields given.</summary>
    private async Task<string> KeyInTeamAsync(GatewayApiHost host, string teamId, object fields)
    {
        using var admin = Client(host);
        var body = System.Text.Json.JsonSerializer.SerializeToNode(fields)!.AsObject();
        body["team_id"] = teamId;
        var key = await ManagementCalls.PostOkAsync(admin, "/key/generate", body);
        return key.GetProperty("key").GetString()!;
    }

    /// <summary>Posts raw JSON to the first replica with optional extra headers; the body is buffered.</summary>
    private Task<HttpResponseMessage> SendAsync(GatewayApiHost host, string key, string path, string json, params (string Name, string Value)[] headers) =>
        PostToAsync(host, key, path, json, headers);

    private async Task<HttpResponseMessage> GetAsync(GatewayApiHost host, string key, string path)
    {
        using var client = host.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) } };
        var response = await client.SendAsync(request, Timeout);
        await response.Content.LoadIntoBufferAsync(Timeout);
        return response;
    }

    private async Task<string> TextAsync(HttpResponseMessage response) => await response.Content.ReadAsStringAsync(Timeout);

    // ---------------------------------------------------------------- the cache key and who may read an entry

    /// <summary>
    /// Attack: key A of a team may use "chat" and its fallback "premium"; key B of the same team may use "chat" only. "chat"
    /// fails, so A is answered by "premium" — and that answer is stored under "chat"'s cache key. B then asks "chat" the same
    /// thing: live, B's fallback to "premium" is skipped (503); from the cache B must not get premium's answer either. It did;
    /// now a fallback group's answer is not stored (<c>ResponseCache.StoreAsync</c>).
    /// </summary>
    [Fact]
    public async Task AFallbackModelsAnswerCachedUnderThePrimaryGroupIsNotServedToAKeyThatMayNotUseTheFallback()
    {
        var host = await StartApiAsync(Groups(CacheOnWithFallback));
        var (teamId, keyA) = await TeamAndKeyAsync(host, new { team_alias = "cache-fb" }, new { models = new[] { "chat", "premium" } });
        var keyB = await KeyInTeamAsync(host, teamId, new { models = new[] { "chat" } });
        Primary.Default = FakeResponse.Error(500);
        Backup.Default = new FakeResponse { Text = "PREMIUM-ONLY ANSWER", PromptTokens = 5, CompletionTokens = 5 };
        var body = ChatBody(Prompt());

        using var a = await SendAsync(host, keyA, "/v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        Assert.Equal(1, Backup.RequestCount);

        using var b = await SendAsync(host, keyB, "/v1/chat/completions", body);
        var text = await TextAsync(b);

        Assert.False(b.StatusCode == HttpStatusCode.OK && text.Contains("PREMIUM-ONLY ANSWER", StringComparison.Ordinal),
            $"key B may not use 'premium' (live it gets 503 with the fallback skipped), yet it was served premium's answer from the cache: "
            + $"{(int)b.StatusCode} x-gateway-cache={Header(b, "x-gateway-cache")} {text}. A fallback's answer must not be stored under the "
            + "primary group's key (or the key must name the group/deployment that answered and the reader's access be checked).");
    }

    /// <summary>
    /// Attack: the same Messages body sent with an allowed <c>anthropic-beta</c> flag (which reaches Anthropic and changes what it
    /// answers: interleaved thinking, context management, 1M context…) and without it. The header is not in the cache key, so
    /// the answer made under the beta was replayed to the request without it (and the reverse); now the headers are in the
    /// key (<c>CacheKey.UpstreamHeadersOf</c>).
    /// </summary>
    [Fact]
    public async Task AnAnthropicBetaFlagThatReachesTheUpstreamIsPartOfTheCacheKey()
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "cache-beta" });
        var body = MessagesBody(Prompt());

        using var withBeta = await SendAsync(host, key, "/v1/messages", body, ("anthropic-beta", "interleaved-thinking-2025-05-14"));
        Assert.Equal(HttpStatusCode.OK, withBeta.StatusCode);
        Assert.Equal("interleaved-thinking-2025-05-14", Primary.Requests[^1].Header("anthropic-beta"));
        var calls = Primary.RequestCount;

        using var without = await SendAsync(host, key, "/v1/messages", body);

        Assert.Equal(HttpStatusCode.OK, without.StatusCode);
        Assert.True(Primary.RequestCount == calls + 1,
            $"the request without anthropic-beta was answered from the entry made under 'anthropic-beta: interleaved-thinking-2025-05-14' "
            + $"(x-gateway-cache={Header(without, "x-gateway-cache")}, upstream calls {calls} -> {Primary.RequestCount}); the forwarded beta flags "
            + "must be part of the cache key");
    }

    /// <summary>A lone UTF-16 surrogate written as a JSON escape is valid JSON; the cache key must not turn it into a 500.</summary>
    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/messages")]
    public async Task ALoneSurrogateEscapeInACacheableBodyIsNeverA500(string path)
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "cache-surrogate" });
        var prompt = Prompt() + "\\ud800";
        var body = path == "/v1/messages" ? MessagesBody(prompt) : ChatBody(prompt);

        using var response = await SendAsync(host, key, path, body);
        var text = await TextAsync(response);

        Assert.True((int)response.StatusCode < 500, $"a lone surrogate escape in the prompt gave {(int)response.StatusCode}: {text}");
        if (response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Contains(path == "/v1/messages" ? "\"type\":\"error\"" : "\"error\"", text);
        }
    }

    /// <summary>Same-team key without access to the cached model: refused with 403 before the lookup (checked, expected safe).</summary>
    [Fact]
    public async Task AKeyNotAllowedTheModelIsRefusedEvenWhenItsTeamHasTheAnswerCached()
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (teamId, keyA) = await TeamAndKeyAsync(host, new { team_alias = "cache-access" }, new { models = new[] { "chat" } });
        var keyB = await KeyInTeamAsync(host, teamId, new { models = new[] { "premium" } });
        var body = ChatBody(Prompt());
        using var a = await SendAsync(host, keyA, "/v1/chat/completions", body);
        Assert.Equal(HttpStatusCode.OK, a.StatusCode);

        using var b = await SendAsync(host, keyB, "/v1/chat/completions", body);

        Assert.Equal(HttpStatusCode.Forbidden, b.StatusCode);
        Assert.DoesNotContain("\"choices\"", await TextAsync(b));
    }

    /// <summary>Hits count against rpm (docs/caching.md): a key with rpm 2 gets its third identical request refused though all are hits.</summary>
    [Fact]
    public async Task CacheHitsCountAgainstTheKeysRpmAcrossReplicas()
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "cache-rpm" }, new { rpm_limit = 2 });
        var body = ChatBody(Prompt());

        using var first = await PostAsync(host, key, "/v1/chat/completions", body);
        using var second = await PostAsync(host, key, "/v1/chat/completions", body);
        using var third = await PostAsync(host, key, "/v1/chat/completions", body);

        Assert.Equal((HttpStatusCode.OK, "miss"), (first.StatusCode, Header(first, "x-gateway-cache")));
        Assert.Equal((HttpStatusCode.OK, "hit"), (second.StatusCode, Header(second, "x-gateway-cache")));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal(1, Primary.RequestCount);
    }

    /// <summary>
    /// A tool-calling answer cached one way (streamed or whole) and replayed the other: the replay must carry the same text, tool
    /// call id, name and arguments and the same finish reason as the original — else the cache hands the client a different answer.
    /// </summary>
    [Theory]
    [InlineData("/v1/chat/completions", false)]
    [InlineData("/v1/chat/completions", true)]
    [InlineData("/v1/messages", false)]
    [InlineData("/v1/messages", true)]
    public async Task AToolCallAnswerReplayedTheOtherWayIsTheSameAnswer(string path, bool originalStreamed)
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "cache-tools" });
        Primary.Enqueue(new FakeResponse { Text = "Let me check.", ToolCalls = [("call_w1", "get_weather", """{"city":"Paris","unit":"c"}""")] });
        var prompt = Prompt();
        string Body(bool stream) => path == "/v1/messages"
            ? $$$"""{"model":"claude","max_tokens":50,"tools":[{"name":"get_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":"{{{prompt}}}"}]{{{(stream ? ",\"stream\":true" : "")}}}}"""
            : $$$$"""{"model":"chat","max_tokens":50,"temperature":0,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],"messages":[{"role":"user","content":"{{{{prompt}}}}"}]{{{{(stream ? ",\"stream\":true" : "")}}}}}""";

        using var original = await SendAsync(host, key, path, Body(originalStreamed));
        var calls = Primary.RequestCount;
        using var replay = await SendAsync(host, key, path, Body(!originalStreamed));

        Assert.Equal("hit", Header(replay, "x-gateway-cache"));
        Assert.Equal(calls, Primary.RequestCount);
        var a = Answer(path, await TextAsync(original), originalStreamed);
        var b = Answer(path, await TextAsync(replay), !originalStreamed);
        Assert.True(a == b, $"original ({(originalStreamed ? "streamed" : "whole")}): {a}\nreplay ({(originalStreamed ? "whole" : "streamed")}): {b}");
        Assert.Contains("get_weather", a);
    }

    /// <summary>(text, tool id, tool name, arguments as parsed JSON, finish reason) of an answer, streamed or whole, in either format.</summary>
    private static string Answer(string path, string body, bool streamed)
    {
        var text = new StringBuilder();
        string? id = null, name = null, finish = null;
        var args = new StringBuilder();
        if (!streamed)
        {
            var json = JsonNode.Parse(body)!;
            if (path == "/v1/messages")
            {
                foreach (var block in json["content"]!.AsArray())
                {
                    if ((string?)block!["type"] == "text") text.Append((string?)block["text"]);
                    if ((string?)block["type"] == "tool_use") (id, name) = ((string?)block["id"], (string?)block["name"]);
                    if ((string?)block["type"] == "tool_use") args.Append(block["input"]!.ToJsonString());
                }

                finish = (string?)json["stop_reason"];
            }
            else
            {
                var choice = json["choices"]![0]!;
                text.Append((string?)choice["message"]!["content"]);
                var call = choice["message"]!["tool_calls"]?[0];
                (id, name) = ((string?)call?["id"], (string?)call?["function"]?["name"]);
                args.Append((string?)call?["function"]?["arguments"]);
                finish = (string?)choice["finish_reason"];
            }
        }
        else
        {
            foreach (var line in body.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim()))
            {
                if (line == "[DONE]") continue;
                var e = JsonNode.Parse(line)!;
                if (path == "/v1/messages")
                {
                    switch ((string?)e["type"])
                    {
                        case "content_block_start" when (string?)e["content_block"]!["type"] == "tool_use":
                            (id, name) = ((string?)e["content_block"]!["id"], (string?)e["content_block"]!["name"]);
                            break;
                        case "content_block_delta" when (string?)e["delta"]!["type"] == "text_delta":
                            text.Append((string?)e["delta"]!["text"]);
                            break;
                        case "content_block_delta" when (string?)e["delta"]!["type"] == "input_json_delta":
                            args.Append((string?)e["delta"]!["partial_json"]);
                            break;
                        case "message_delta":
                            finish = (string?)e["delta"]!["stop_reason"] ?? finish;
                            break;
                    }
                }
                else if (e["choices"] is JsonArray { Count: > 0 } choices)
                {
                    var delta = choices[0]!["delta"];
                    text.Append((string?)delta?["content"]);
                    if (delta?["tool_calls"]?[0] is { } call)
                    {
                        id ??= (string?)call["id"];
                        name ??= (string?)call["function"]?["name"];
                        args.Append((string?)call["function"]?["arguments"]);
                    }

                    finish = (string?)choices[0]!["finish_reason"] ?? finish;
                }
            }
        }

        var parsedArgs = args.Length == 0 ? "" : JsonNode.Parse(args.ToString())!.ToJsonString();
        return $"text='{text}' id={id} name={name} args={parsedArgs} finish={finish}";
    }

    // ---------------------------------------------------------------- what gets written to the cache

    /// <summary>A stream the upstream breaks off (connection dropped, or an in-band error) is not complete: nothing may be cached.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AStreamThatBreaksOffOrErrsMidWayLeavesNothingInTheCache(bool drop)
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "cache-broken" });
        var prompt = Prompt();
        Primary.Enqueue(drop
            ? new FakeResponse { Text = "one two three four five six", ChunkCount = 6, DropConnectionAfterChunks = 2 }
            : new FakeResponse { Text = "one two three four five six", ChunkCount = 6, InBandErrorAfterChunks = 2 });

        using var broken = await SendAsync(host, key, "/v1/chat/completions", ChatBody(prompt, stream: true));
        Assert.Equal(HttpStatusCode.OK, broken.StatusCode); // committed at the first byte; the break is an error event
        var calls = Primary.RequestCount;

        using var again = await SendAsync(host, key, "/v1/chat/completions", ChatBody(prompt));

        Assert.True(Header(again, "x-gateway-cache") == "miss" && Primary.RequestCount == calls + 1,
            $"the half answer of a stream that {(drop ? "was dropped" : "ended in an error")} was served from the cache: "
            + $"x-gateway-cache={Header(again, "x-gateway-cache")} body={await TextAsync(again)}");
    }

    /// <summary>
    /// A client that hangs up mid-stream: the gateway drains the upstream (to bill it), but the answer the client never received
    /// must not be cached, and the request is billed.
    /// </summary>
    [Fact]
    public async Task AClientThatHangsUpMidStreamLeavesNothingInTheCache()
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "cache-hangup" });
        var prompt = Prompt();
        Primary.Enqueue(new FakeResponse
        {
            Text = string.Join(' ', Enumerable.Range(0, 20).Select(i => $"w{i}")), ChunkCount = 20, DelayBetweenChunks = TimeSpan.FromMilliseconds(150),
            PromptTokens = 10, CompletionTokens = 12,
        });

        // A raw socket: HttpClient would drain an unread response for up to 2 s to reuse the connection, which is not a hang-up.
        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            await socket.ConnectAsync(host.BaseAddress.Host, host.BaseAddress.Port, Timeout);
            var json = Encoding.UTF8.GetBytes(ChatBody(prompt, stream: true));
            var head = Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: {host.BaseAddress.Authority}\r\nAuthorization: Bearer {key}\r\n"
                + $"Content-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n");
            await socket.SendAsync(head.Concat(json).ToArray(), System.Net.Sockets.SocketFlags.None, Timeout);
            var received = new StringBuilder();
            var buffer = new byte[4096];
            while (!received.ToString().Contains("data:", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, Timeout);
                Assert.True(n > 0, "the gateway closed the connection before the first event: " + received);
                received.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }

            Assert.StartsWith("HTTP/1.1 200", received.ToString());
            socket.LingerState = new System.Net.Sockets.LingerOption(true, 0); // reset, not a graceful close
            socket.Close();
        } // hung up after the first event

        await LocalProcess.WaitUntilAsync(() => Task.FromResult(Primary.StreamsCompleted + Primary.StreamsAbortedByClient >= 1),
            TimeSpan.FromSeconds(20), "the upstream stream to end");
        var calls = Primary.RequestCount;
        using var again = await SendAsync(host, key, "/v1/chat/completions", ChatBody(prompt));

        Assert.True(Header(again, "x-gateway-cache") == "miss" && Primary.RequestCount == calls + 1,
            $"an answer whose client hung up mid-stream was cached: x-gateway-cache={Header(again, "x-gateway-cache")}");
    }

    /// <summary>
    /// Attack on the non-stream path: the client hangs up while the whole answer is being read from the upstream. The answer
    /// is made and billed, but must not be stored (docs/caching.md: "answers whose client went away before the end").
    /// </summary>
    [Fact]
    public async Task AClientThatHangsUpBeforeANonStreamAnswerLeavesNothingInTheCache()
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "cache-hangup-body" });
        var prompt = Prompt();
        Primary.Enqueue(new FakeResponse { Text = "late answer", DelayBeforeHeaders = TimeSpan.FromSeconds(1) });

        using (var client = host.CreateLoopbackClient())
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(Timeout))
        {
            cts.CancelAfter(TimeSpan.FromMilliseconds(300));
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
                Content = new StringContent(ChatBody(prompt), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
            };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.SendAsync(request, cts.Token));
        }

        await LocalProcess.WaitUntilAsync(() => Task.FromResult(Primary.RequestCount >= 1 && Primary.PendingScripts == 0),
            TimeSpan.FromSeconds(15), "the upstream call");
        // The upstream answers after 1 s and the gateway drains it: once its ledger row is written, it is done with it.
        await LedgerRowsAsync(host, key);

        var calls = Primary.RequestCount;
        using var again = await SendAsync(host, key, "/v1/chat/completions", ChatBody(prompt));

        Assert.True(Header(again, "x-gateway-cache") == "miss" && Primary.RequestCount == calls + 1,
            $"an answer whose client had hung up was cached: x-gateway-cache={Header(again, "x-gateway-cache")}");
    }

    /// <summary>
    /// <c>Cache-Control: no-store</c> next to a directive the parser rejects (<c>max-age=abc</c>): the whole header is dropped
    /// silently, so the answer the client asked not to keep was stored and served to the next identical request of its team.
    /// A malformed control must be a 400 (as a malformed body <c>cache</c> control is), or at least no-store must still hold:
    /// now it does (the unparsed header's directives are scanned for no-store and no-cache).
    /// </summary>
    [Theory]
    [InlineData("no-store, max-age=abc")]
    [InlineData("no-store, max-age=99999999999")]
    public async Task NoStoreNextToAMalformedDirectiveIsNotIgnored(string header)
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "cache-nostore" });
        var body = ChatBody(Prompt());

        using var first = await SendAsync(host, key, "/v1/chat/completions", body, ("Cache-Control", header));
        if (first.StatusCode == HttpStatusCode.BadRequest)
        {
            return; // refused: fine
        }

        var calls = Primary.RequestCount;
        using var second = await SendAsync(host, key, "/v1/chat/completions", body);

        Assert.True(Header(second, "x-gateway-cache") != "hit" && Primary.RequestCount == calls + 1,
            $"'Cache-Control: {header}' was answered {(int)first.StatusCode} and its answer stored anyway: the next identical request was a "
            + $"{Header(second, "x-gateway-cache")} (upstream calls {calls} -> {Primary.RequestCount})");
    }

    // ---------------------------------------------------------------- fan-out

    /// <summary>
    /// Legacy completions with two prompts on a chat model: two upstream calls. One fails at once (400, the client's error);
    /// the other is in flight at the upstream and is cancelled by the gateway — but the upstream did the work, so it must be
    /// billed, exactly once (docs/api.md: "what the finished calls cost is charged"; every upstream call is billed once).
    /// </summary>
    [Fact]
    public async Task AFanOutCallCancelledBecauseItsSiblingFailedIsStillBilledOnce()
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "fanout-cancel" }, new { max_budget = 10 });
        Primary.Enqueue(FakeResponse.Error(400, "bad prompt (fake)"),
            new FakeResponse { Text = "slow answer", DelayBeforeHeaders = TimeSpan.FromSeconds(1), PromptTokens = 10, CompletionTokens = 20 });

        using var response = await SendAsync(host, key, "/v1/completions", """{"model":"chat","prompt":["first prompt","second prompt"],"max_tokens":30}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(Primary.RequestCount == 2 && Primary.PendingScripts == 0), TimeSpan.FromSeconds(10), "both calls");
        decimal spend = 0;
        try
        {
            await LocalProcess.WaitUntilAsync(async () => (spend = await KeySpendAsync(host, key)) > 0, TimeSpan.FromSeconds(10), "the key's spend");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // reported below
        }

        Assert.True(spend == 0.00002m,
            $"two upstream calls, one failed (400, not billable) and one answered by the upstream after the gateway cancelled it (20 output "
            + $"tokens = $0.00002): the key was charged ${spend}");
    }

    private async Task<decimal> KeySpendAsync(GatewayApiHost host, string key)
    {
        using var admin = Client(host);
        var info = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(
            admin, $"/key/info?key={Uri.EscapeDataString(key)}", Timeout);
        return info.GetProperty("info").GetProperty("spend").GetDecimal();
    }

    // ---------------------------------------------------------------- Responses API state

    /// <summary>A streamed <c>store: true</c> response the upstream breaks off mid-way is not stored: it cannot be fetched or continued.</summary>
    [Fact]
    public async Task AStoredResponseWhoseStreamBreaksOffIsNotKept()
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "resp-broken" });
        Primary.Enqueue(new FakeResponse { Text = "one two three four five six", ChunkCount = 6, DropConnectionAfterChunks = 2 });

        using var broken = await SendAsync(host, key, "/v1/responses", """{"model":"chat","input":"hello","store":true,"stream":true}""");
        var events = await TextAsync(broken);
        var created = events.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal))
            .Select(l => JsonNode.Parse(l[5..])).FirstOrDefault(n => (string?)n?["type"] == "response.created");
        Assert.NotNull(created);
        var id = (string)created!["response"]!["id"]!;
        Assert.DoesNotContain("response.completed", events);

        using var get = await GetAsync(host, key, $"/v1/responses/{id}");
        var calls = Primary.RequestCount;
        using var next = await SendAsync(host, key, "/v1/responses", $$"""{"model":"chat","input":"continue","previous_response_id":"{{id}}"}""");

        Assert.True(get.StatusCode == HttpStatusCode.NotFound, $"GET of a broken-off response: {(int)get.StatusCode} {await TextAsync(get)}");
        Assert.Equal(HttpStatusCode.NotFound, next.StatusCode);
        Assert.Equal(calls, Primary.RequestCount);
        decimal spend = 0;
        try
        {
            await LocalProcess.WaitUntilAsync(async () => (spend = await KeySpendAsync(host, key)) > 0, TimeSpan.FromSeconds(10), "the key's spend");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // reported below
        }

        Assert.True(spend > 0, "the upstream worked until the break, but the broken-off stored response was not billed");
    }

    /// <summary>A deleted response cannot be continued: 404 in OpenAI's envelope, no upstream call, no charge.</summary>
    [Fact]
    public async Task ADeletedResponseCannotBeContinued()
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "resp-deleted" });
        using var made = await SendAsync(host, key, "/v1/responses", """{"model":"chat","input":"remember 42"}""");
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        var id = (string)JsonNode.Parse(await TextAsync(made))!["id"]!;
        using (var client = host.CreateLoopbackClient())
        using (var delete = new HttpRequestMessage(HttpMethod.Delete, $"/v1/responses/{id}") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) } })
        using (var deleted = await client.SendAsync(delete, Timeout))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        var calls = Primary.RequestCount;
        using var next = await SendAsync(host, key, "/v1/responses", $$"""{"model":"chat","input":"what number?","previous_response_id":"{{id}}"}""");
        using var items = await GetAsync(host, key, $"/v1/responses/{id}/input_items");

        Assert.Equal(HttpStatusCode.NotFound, next.StatusCode);
        Assert.NotNull(JsonNode.Parse(await TextAsync(next))?["error"]?["message"]);
        Assert.Equal(HttpStatusCode.NotFound, items.StatusCode);
        Assert.Equal(calls, Primary.RequestCount);
    }

    /// <summary>
    /// A <c>previous_response_id</c> (or a path id) with a NUL character: valid JSON and a valid string, but Postgres text cannot
    /// hold it, so the lookup threw and the client got a 503. That is the client's bad id — a 4xx (404 or 400) in OpenAI's
    /// envelope — never a 5xx; now an id that cannot be one is a 404 without a lookup.
    /// </summary>
    [Fact]
    public async Task AResponseIdWithANulCharacterIsA4xxNotA5xx()
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "resp-nul" });

        using var create = await SendAsync(host, key, "/v1/responses", """{"model":"chat","input":"hi","previous_response_id":"resp_\u0000abc"}""");
        using var get = await GetAsync(host, key, "/v1/responses/resp_%00abc");
        using var items = await GetAsync(host, key, "/v1/responses/resp_%00abc/input_items");

        var seen = $"POST previous_response_id=\"resp_\\u0000abc\": {(int)create.StatusCode} {await TextAsync(create)}; "
            + $"GET /v1/responses/resp_%00abc: {(int)get.StatusCode} {await TextAsync(get)}; input_items: {(int)items.StatusCode}";
        Assert.True((int)create.StatusCode is >= 400 and < 500, seen);
        Assert.True((int)get.StatusCode is >= 400 and < 500, seen);
        Assert.True((int)items.StatusCode is >= 400 and < 500, seen);
        Assert.Equal(0, Primary.RequestCount);
    }

    /// <summary>
    /// A conversation started on an OpenAI-compatible chat model that answered with reasoning, continued with
    /// <c>previous_response_id</c> on an Anthropic model: the stored history (reasoning item included) must be translated or
    /// dropped, never a 5xx.
    /// </summary>
    [Fact]
    public async Task AConversationWithReasoningContinuedOnAnotherProvidersModelIsNeverA5xx()
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "resp-cross-model" });
        Primary.Enqueue(new FakeResponse { Thinking = "the user wants a number", Text = "42" });
        using var first = await SendAsync(host, key, "/v1/responses", """{"model":"chat","input":"pick a number"}""");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var made = JsonNode.Parse(await TextAsync(first))!;
        var id = (string)made["id"]!;

        using var next = await SendAsync(host, key, "/v1/responses", $$"""{"model":"claude","input":"and another","previous_response_id":"{{id}}"}""");

        Assert.True((int)next.StatusCode < 500,
            $"continuing {made["output"]?.ToJsonString()} on 'claude' gave {(int)next.StatusCode}: {await TextAsync(next)}");
    }

    /// <summary>
    /// A <c>previous_response_id</c> chain that, spliced in, is longer than the model's <c>max_input_tokens</c>: refused at the
    /// gateway like the same prompt sent whole (control below), not sent to the upstream.
    /// </summary>
    [Fact]
    public async Task AStoredChainLongerThanTheContextWindowIsRefusedLikeTheSamePromptSentWhole()
    {
        var host = await StartApiAsync(Groups(CacheOn));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "resp-window" });
        var part = string.Join(" ", Enumerable.Repeat("apple", 200));

        // Control: both parts sent whole are over the window, refused with no upstream call.
        using var whole = await SendAsync(host, key, "/v1/responses", $$"""{"model":"small","input":"{{part}} {{part}}","store":false}""");
        Assert.True((int)whole.StatusCode is >= 400 and < 500 && Primary.RequestCount == 0,
            $"control: a prompt over max_input_tokens sent whole gave {(int)whole.StatusCode} with {Primary.RequestCount} upstream calls");

        using var first = await SendAsync(host, key, "/v1/responses", $$"""{"model":"small","input":"{{part}}"}""");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var id = (string)JsonNode.Parse(await TextAsync(first))!["id"]!;
        var calls = Primary.RequestCount;

        using var next = await SendAsync(host, key, "/v1/responses", $$"""{"model":"small","input":"{{part}}","previous_response_id":"{{id}}"}""");

        Assert.True((int)next.StatusCode is >= 400 and < 500 && Primary.RequestCount == calls,
            $"the chain spliced in is over max_input_tokens, as the control is: {(int)next.StatusCode}, upstream calls {calls} -> {Primary.RequestCount}: {await TextAsync(next)}");
    }
}
