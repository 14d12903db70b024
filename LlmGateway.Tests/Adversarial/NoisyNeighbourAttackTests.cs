using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Proxy;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// One tenant (tenant A: one ordinary virtual key, rpm_limit 60 and a budget) against every other tenant on the same
/// gateway (tenant B: another team's key). A chooses its headers, bodies, timing and connection behaviour and stays within
/// its own limits (or is refused by them); what B then gets is measured: refused, slowed, or served as if A were not there.
/// Each test is a hole found (fixed since, or skipped with the reason while it is not) or a guard for what was checked and
/// found safe (docs/security.md, "One tenant against the others").
/// </summary>
public sealed class NoisyNeighbourAttackTests(TestServers servers) : AdversarialTestBase(servers)
{
    /// <summary>Priced (budgeted keys are refused unpriced deployments), so the attacker's budget means something.</summary>
    private const string Prices = "input_cost_per_token: 0.0000001\noutput_cost_per_token: 0.0000002";

    /// <summary>Group "chat": the one deployment on <see cref="RoutingTestBase.Primary"/>, with <paramref name="extra"/> litellm_params.</summary>
    private string OneDeployment(string settings = "", string extra = "") =>
        "model_list:\n" + Deployment("chat", PrimaryId, Primary, extra, Prices) + Settings(settings);

    private static readonly object AttackerKey = new { rpm_limit = 60, max_budget = 10 };

    private Task<(string TeamId, string Key)> TenantAsync(GatewayApiHost host, string alias, object? key = null) =>
        TeamAndKeyAsync(host, new { team_alias = $"{alias}-{Run}" }, key ?? AttackerKey);

    private static string ChatJson(string content = "hello", string extra = "") =>
        $$"""{"model":"chat","messages":[{"role":"user","content":"{{content}}"}]{{(extra.Length > 0 ? "," + extra : "")}}}""";

    private static async Task<string> DescribeAsync(HttpResponseMessage response) =>
        $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";

    // =================================================================================================================
    // Shared per-replica capacity
    // =================================================================================================================

    /// <summary>
    /// Attack: A opens as many connections as the replica reads bodies at once (<c>Gateway:MaxBodiesInFlight</c>, 512 by
    /// default; 8 here) and trickles each body, a few bytes at a time (above Kestrel's 240 B/s floor, so nothing cuts it
    /// before the 30 s body deadline; then A opens the next ones). The slots are per replica and shared by every key: the
    /// body is read before any of the key's limits is checked, so A's rpm_limit 60 and budget never come into it (A's
    /// requests never reach admission). B's ordinary request then gets 503 <c>too_many_bodies_in_flight</c> for as long
    /// as A kept the connections open. Fixed: a key's share of the body slots is bounded
    /// (<c>Gateway:MaxBodiesInFlightPerKey</c>, default a quarter; checked right after authentication, which comes before the
    /// body), so one key cannot hold them all: A's bodies beyond its share get the 503, B is served.
    /// </summary>
    [Fact]
    public async Task OneKeysTricklingBodiesDoNotTakeEveryBodySlotFromOtherTenants()
    {
        const int slots = 8;
        const int perKey = 2;
        var host = await StartApiAsync(OneDeployment(), ("Gateway:MaxBodiesInFlight", slots.ToString(CultureInfo.InvariantCulture)),
            ("Gateway:MaxBodiesInFlightPerKey", perKey.ToString(CultureInfo.InvariantCulture)));
        var (_, keyA) = await TenantAsync(host, "slots-a");
        var (_, keyB) = await TenantAsync(host, "slots-b");
        var gate = host.Services.GetRequiredService<BodyReadGate>();
        var connections = new List<RawHttpConnection>();
        using var stopTrickling = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        Task? trickle = null;
        try
        {
            for (var i = 0; i < slots; i++)
            {
                var connection = await RawHttpConnection.OpenAsync(host.BaseAddress, "POST", "/v1/chat/completions", new Dictionary<string, string>
                {
                    ["Authorization"] = "Bearer " + keyA,
                    ["Content-Type"] = "application/json",
                    ["Content-Length"] = "100000",
                }, Timeout);
                connections.Add(connection);
                await connection.SendAsync("""{"model":"chat","messages":[{"role":"user","content":"a""", Timeout);
            }

            // 100 bytes every 250 ms per connection: 400 B/s, above Kestrel's minimum rate, 250 s for each whole body.
            trickle = Task.Run(async () =>
            {
                while (!stopTrickling.IsCancellationRequested)
                {
                    foreach (var connection in connections)
                    {
                        try
                        {
                            await connection.SendAsync(new string('a', 100), stopTrickling.Token);
                        }
                        catch (IOException)
                        {
                            // one the gateway refused (beyond the key's share) and closed: the others trickle on
                        }
                    }

                    await Task.Delay(250, stopTrickling.Token);
                }
            }, stopTrickling.Token);
            await LocalProcess.WaitUntilAsync(() => Task.FromResult(gate.Reading == perKey), TimeSpan.FromSeconds(20), $"{perKey} of A's bodies being read");

            using var b = await PostAsync(host, keyB, "/v1/chat/completions", ChatJson());
            Assert.True(b.StatusCode == HttpStatusCode.OK,
                $"While tenant A (rpm_limit 60, never admitted) trickled {slots} bodies, tenant B's ordinary request got {await DescribeAsync(b)}");
            Assert.Equal(perKey, gate.Reading); // A still holds its share: the rest of its bodies were refused, not B's

        }
        finally
        {
            await stopTrickling.CancelAsync();
            try
            {
                await (trickle ?? Task.CompletedTask);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
            }

            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Attack: A builds a Responses API conversation (<c>store: true</c>, each turn continuing the last with
    /// <c>previous_response_id</c>), each turn's input just under the body limit. The gateway splices the whole stored chain
    /// (up to 1,000 turns, each up to <c>MaxRequestBodyBytes</c>) into the next request's body — loaded from Postgres, parsed
    /// into a JSON tree and serialised again in the replica's memory before admission, then sent upstream — with no bound on
    /// the result: with a 64 KiB limit, the fourth turn's body is ~4× the limit; with the defaults, one request can make a
    /// replica hold up to 1,000 × 10 MiB (and several at once more), memory every tenant on the replica shares. The same
    /// conversation sent whole is a 413 (control). Fixed: a continuation whose spliced body passes
    /// <c>MaxRequestBodyBytes</c> is refused like the same body sent whole (413, no upstream call), and the chain is read
    /// from Postgres no further than that limit (<c>ResponseStore.LoadChainAsync</c>).
    /// </summary>
    [Fact]
    public async Task AStoredConversationIsNotSplicedIntoABodyLargerThanTheBodyLimit()
    {
        const int limit = 64 * 1024;
        var host = await StartApiAsync(OneDeployment(), ("Gateway:MaxRequestBodyBytes", limit.ToString(CultureInfo.InvariantCulture)));
        var (_, keyA) = await TenantAsync(host, "chain-a");
        var turn = string.Join(" ", Enumerable.Repeat("apple", 9_000)); // ~54 KB: each turn alone is within the limit

        // Control: the conversation sent whole is over the limit.
        var whole = string.Join(" ", Enumerable.Repeat(turn, 4));
        using (var control = await PostAsync(host, keyA, "/v1/responses", $$"""{"model":"chat","input":"{{whole}}","store":false}"""))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, control.StatusCode);
        }

        string? previous = null;
        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            var link = previous is null ? "" : $$""","previous_response_id":"{{previous}}" """;
            using var answer = await PostAsync(host, keyA, "/v1/responses", $$"""{"model":"chat","input":"{{turn}}","max_output_tokens":20{{link}}}""");
            statuses.Add((int)answer.StatusCode);
            if (answer.StatusCode != HttpStatusCode.OK)
            {
                break;
            }

            previous = (string)JsonNode.Parse(await answer.Content.ReadAsStringAsync(Timeout))!["id"]!;
        }

        var largest = Primary.Requests.Select(r => Encoding.UTF8.GetByteCount(r.Body)).DefaultIfEmpty(0).Max();
        Assert.True(largest <= limit,
            $"Turns of ~{Encoding.UTF8.GetByteCount(turn) / 1024} KB each (statuses {string.Join(", ", statuses)}): the stored chain was spliced "
            + $"into an upstream body of {largest / 1024} KB, {largest / (double)limit:0.#}× Gateway:MaxRequestBodyBytes ({limit / 1024} KB), "
            + "which the same conversation sent whole is refused for (413)");
    }

    /// <summary>
    /// Attack: A has spent its rpm (1 here) and keeps sending large bodies. Every one is read in full (holding a body slot),
    /// parsed and tokenized for the prompt estimate before the key's limits are asked — only then is it a 429. Measured
    /// (Debug build, this machine): a 4 MB body costs ~0.3–0.45 s of CPU whether it is answered or refused for rpm, so a key
    /// refused for rpm can keep a 2-core replica busy with ~5 such requests a second, at no cost to itself: tenant B's
    /// p50/p90 latency went from 2/6 ms to 19/28 ms with 4 of A's refused 4 MB requests in flight, and to p90 591 ms with 8
    /// estimated <c>count_tokens</c> of 1 MB (a route that no limit bounds). Here A sends a 4 MB body's first bytes, then
    /// trickles it: a key already at its rpm should get its 429 before its body is read (the key is known after
    /// authentication, and its window says it is full); it got nothing until the body was complete. Fixed: a replica remembers
    /// an rpm window Redis refused until its oldest request leaves it (<c>LimitsGate.RefusalBeforeBody</c>), and refuses the
    /// key's next requests right after authentication. Per replica: a key spreading its requests over replicas has one body
    /// read on each (the refusal it learns from) per window, then none.
    /// </summary>
    [Fact]
    public async Task ARequestTheKeysRpmAlreadyRefusesIsAnsweredBeforeItsBodyIsRead()
    {
        var host = await StartApiAsync(OneDeployment());
        var (_, keyA) = await TenantAsync(host, "prebody-a", new { rpm_limit = 1, max_budget = 10 });
        using (var spent = await PostToAsync(host, keyA, "/v1/chat/completions", ChatJson()))
        {
            Assert.Equal(HttpStatusCode.OK, spent.StatusCode);
        }

        // Control: the key is at its rpm, and this replica heard it from Redis (each replica learns it by one refusal).
        using (var refused = await PostToAsync(host, keyA, "/v1/chat/completions", ChatJson()))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }

        await using var connection = await RawHttpConnection.OpenAsync(host.BaseAddress, "POST", "/v1/chat/completions", new Dictionary<string, string>
        {
            ["Authorization"] = "Bearer " + keyA,
            ["Content-Type"] = "application/json",
            ["Content-Length"] = "4000000",
        }, Timeout);
        await connection.SendAsync("""{"model":"chat","messages":[{"role":"user","content":" """, Timeout);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        bounded.CancelAfter(TimeSpan.FromSeconds(10));
        string answer;
        try
        {
            // 1 KB every 200 ms (5 KB/s, above Kestrel's minimum rate): the body would take ~13 minutes to arrive.
            answer = await connection.TrickleUntilAnsweredAsync(new string('x', 60_000), 1000, TimeSpan.FromMilliseconds(200), bounded.Token);
        }
        catch (OperationCanceledException) when (!Timeout.IsCancellationRequested)
        {
            answer = "(no answer within 10 s: the gateway was still reading the body of a request its key's rpm refuses)";
        }

        Assert.True(answer.StartsWith("HTTP/1.1 429", StringComparison.Ordinal), $"A key at its rpm sent a 4 MB body slowly: {answer.Split("\r\n")[0]}");
    }

    /// <summary>
    /// Guard for the fix above: a remembered full window never refuses what Redis would admit. Its 429 names no longer a wait
    /// than Redis' own refusal did, and a limit raised after the refusal (a new key record) is not held to it: the next
    /// request is admitted at once, as Redis would.
    /// </summary>
    [Fact]
    public async Task ARememberedFullWindowRefusesNoLongerThanRedisAndNotPastARaisedLimit()
    {
        var host = await StartApiAsync(OneDeployment());
        var (_, keyA) = await TenantAsync(host, "raised-a", new { rpm_limit = 1, max_budget = 10 });
        using (var spent = await PostToAsync(host, keyA, "/v1/chat/completions", ChatJson()))
        {
            Assert.Equal(HttpStatusCode.OK, spent.StatusCode);
        }

        TimeSpan byRedis, remembered;
        using (var refused = await PostToAsync(host, keyA, "/v1/chat/completions", ChatJson()))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            byRedis = refused.Headers.RetryAfter!.Delta!.Value;
        }

        using (var again = await PostToAsync(host, keyA, "/v1/chat/completions", ChatJson()))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
            remembered = again.Headers.RetryAfter!.Delta!.Value;
        }

        Assert.InRange(remembered, TimeSpan.FromSeconds(1), byRedis);
        using var admin = Client(host);
        using (var updated = await admin.PostAsync("/key/update", JsonContent.Create(new { key = keyA, rpm_limit = 5 }), Timeout))
        {
            Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        }

        using var afterRaise = await PostToAsync(host, keyA, "/v1/chat/completions", ChatJson());
        Assert.Equal(HttpStatusCode.OK, afterRaise.StatusCode);
    }

    /// <summary>
    /// Attack: A's stored responses are read through <c>GET /v1/responses/{id}</c> and <c>/input_items</c> (and removed with
    /// <c>DELETE</c>) on the proxy routes, with A's key — but no limit of the key applies to them: A at its rpm (3 here) still
    /// gets every call answered, each a Postgres query (any well-formed or random id), a row of up to the body limit read
    /// into memory, and for <c>input_items</c> parsed into a JSON tree. So the shared Postgres pool and the replica's CPU
    /// and memory served A at whatever rate it sent. Fixed: these calls count against the key's limits like its other
    /// proxy calls (429 past its rpm; nothing reserved or billed).
    /// </summary>
    [Fact]
    public async Task StoredResponseReadsCountAgainstTheKeysRpm()
    {
        var host = await StartApiAsync(OneDeployment());
        var (_, keyA) = await TenantAsync(host, "reads-a", new { rpm_limit = 3, max_budget = 10 });
        string id;
        using (var made = await PostAsync(host, keyA, "/v1/responses", """{"model":"chat","input":"remember this","max_output_tokens":20}"""))
        {
            Assert.Equal(HttpStatusCode.OK, made.StatusCode);
            id = (string)JsonNode.Parse(await made.Content.ReadAsStringAsync(Timeout))!["id"]!;
        }

        var statuses = new List<int>();
        using var client = host.CreateLoopbackClient(keyA);
        for (var i = 0; i < 10; i++)
        {
            foreach (var path in new[] { $"/v1/responses/{id}", $"/v1/responses/{id}/input_items", $"/v1/responses/resp_{Guid.NewGuid():N}" })
            {
                using var read = await client.GetAsync(path, Timeout);
                statuses.Add((int)read.StatusCode);
            }
        }

        var answered = statuses.Count(s => s != 429);
        Assert.True(answered <= 2,
            $"Tenant A with rpm_limit 3 (1 used) read stored responses 30 times: {string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()}× {g.Key}"))}; "
            + "none was refused, each a Postgres query");
    }

    // =================================================================================================================
    // Making a deployment unavailable for everyone
    // =================================================================================================================

    /// <summary>
    /// Attack: A sends three non-streamed requests <b>without</b> <c>max_tokens</c> asking for long answers. A non-streamed
    /// answer's headers come only once it is all written, so each outlasts the deployment's <c>ttfb_timeout</c> (1 s here;
    /// any short first-byte bound an operator sets for fast failover) with nothing received — and counts toward
    /// <c>allowed_fails</c>: the deployment cools down for every tenant, and B gets 503. The same requests with
    /// <c>max_tokens: 32000</c> are recognised as the request's own length (<c>UpstreamSender.MayOutlastTimeout</c>); leaving the
    /// field out is the way around it. Judging such a request by its output ceiling would stop a hung provider from being
    /// cooled down (FailoverTests: a deployment that sends no headers within <c>timeout: 1</c> must be cooled). Fixed: such a
    /// timeout is judged by the gateway's own one-token ping of the deployment (<c>DeploymentPings</c>); the provider here
    /// answers it at once (it is busy, not hung), so nothing is counted.
    /// </summary>
    [Fact]
    public async Task LongNonStreamedRequestsWithoutMaxTokensDoNotCoolTheDeploymentDownForOtherTenants()
    {
        var host = await StartApiAsync(OneDeployment("litellm_settings:\n  allowed_fails: 3\n  cooldown_time: 30\n  num_retries: 0\n", "ttfb_timeout: 1"));
        var (_, keyA) = await TenantAsync(host, "nomax-a");
        var (_, keyB) = await TenantAsync(host, "nomax-b");
        Primary.PingResponse = FakeResponse.Ok;
        for (var i = 0; i < 3; i++)
        {
            // The provider is busy writing A's long essay: no headers within the 1 s first-byte bound.
            Primary.Enqueue(FakeResponse.Ok with { DelayBeforeHeaders = TimeSpan.FromSeconds(3) });
            using var slow = await PostAsync(host, keyA, "/v1/chat/completions", ChatJson("Write a 20,000-word essay on the history of bread."));
            Assert.NotEqual(HttpStatusCode.OK, slow.StatusCode);
        }

        var state = await HealthStateAsync(host);
        var statuses = await ThreeAtOnceAsync(host, keyB);

        Assert.True(state == "healthy" && statuses.All(s => s == 200),
            $"After tenant A's three long non-streamed requests without max_tokens, the only deployment is '{state}' for 30 s; "
            + $"tenant B's three concurrent requests got {string.Join(", ", statuses)}");
    }

    /// <summary>
    /// Attack: vLLM, SGLang and other OpenAI-compatible servers report an exception raised while streaming as an in-band
    /// error event <c>{"error":{"type":"BadRequestError","code":400,…}}</c> (vLLM's <c>create_streaming_error_response</c>
    /// defaults) — including exceptions the request's own input causes (a tool or reasoning parser choking on it, a guided-
    /// decoding schema, a prompt the engine rejects). The gateway classifies an in-band error by its <c>type</c> alone
    /// (<c>ResponseRelay.InBandFailure</c>: only <c>invalid_request_error</c> is the request's), so <c>BadRequestError</c> is a
    /// server error: retryable, counted toward <c>allowed_fails</c>. Three of A's streamed requests the server refuses this
    /// way cool the deployment down for every tenant (and A hears a 5xx for its own bad request, which its SDK retries).
    /// Fixed: an in-band error whose <c>code</c> is 4xx (or whose type is <c>BadRequestError</c>) is the request's: no cooldown.
    /// </summary>
    [Fact]
    public async Task InBandBadRequestErrorsOfOneTenantDoNotCoolTheDeploymentDownForOthers()
    {
        var host = await StartApiAsync(OneDeployment("litellm_settings:\n  allowed_fails: 3\n  cooldown_time: 30\n  num_retries: 0\n"));
        var (_, keyA) = await TenantAsync(host, "inband-a");
        var (_, keyB) = await TenantAsync(host, "inband-b");
        var seenByA = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            Primary.Enqueue(new FakeResponse
            {
                InBandErrorAfterChunks = 0, ErrorType = "BadRequestError", ErrorCode = "400",
                ErrorMessage = "1 validation error: tool call arguments could not be parsed",
            });
            using var a = await PostAsync(host, keyA, "/v1/chat/completions", ChatJson("call the tool", "\"stream\":true"));
            seenByA.Add((int)a.StatusCode);
        }

        var state = await HealthStateAsync(host);
        var statuses = await ThreeAtOnceAsync(host, keyB);

        Assert.True(state == "healthy" && statuses.All(s => s == 200),
            $"After three of tenant A's streams were refused in-band (BadRequestError, code 400; A heard {string.Join(", ", seenByA)}), "
            + $"the only deployment is '{state}'; tenant B's three concurrent requests got {string.Join(", ", statuses)}");
    }

    /// <summary>
    /// Attack: a deployment cooled down (any cause; here one provider 503). Its 503s tell every client when the cooldown
    /// ends (<c>Retry-After</c>). At that moment A sends a long non-streamed request: it becomes the half-open probe, which
    /// only its response headers release — and a non-streamed answer's headers come when the whole answer is written. Until
    /// then (up to the probe lock, 10 s or <c>cooldown_time</c> if longer, and again each time A takes it) every other
    /// request finds the probe taken, and B gets 503 "cooling down" from a deployment that is answering. Fixed: the half-open
    /// probe is the gateway's own one-token ping (<c>DeploymentPings</c>), which the provider answers at once; A's request is
    /// sent only once the deployment is back, as any other.
    /// </summary>
    [Fact]
    public async Task ATenantsSlowRequestDoesNotHoldAHalfOpenDeploymentAwayFromOtherTenants()
    {
        var host = await StartApiAsync(OneDeployment("litellm_settings:\n  allowed_fails: 3\n  cooldown_time: 1\n  num_retries: 0\n"));
        var (_, keyA) = await TenantAsync(host, "probe-a");
        var (_, keyB) = await TenantAsync(host, "probe-b");
        Primary.PingResponse = FakeResponse.Ok;
        Primary.Enqueue(FakeResponse.Error(503, "Overloaded"));
        using (var tripped = await PostAsync(host, keyB, "/v1/chat/completions", ChatJson()))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, tripped.StatusCode);
        }

        await LocalProcess.WaitUntilAsync(async () => await HealthStateAsync(host) == "healthy", TimeSpan.FromSeconds(20), "the cooldown to end");

        // A: a long non-streamed generation (8 s before its headers) becomes the half-open probe.
        var callsBefore = Primary.RequestCount;
        Primary.Enqueue(FakeResponse.Ok with { DelayBeforeHeaders = TimeSpan.FromSeconds(8) });
        var slowA = PostAsync(host, keyA, "/v1/chat/completions", ChatJson("Summarise this long report.", "\"max_tokens\":1000"));
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(Primary.RequestCount > callsBefore), TimeSpan.FromSeconds(20), "A's request upstream");

        var started = Stopwatch.StartNew();
        using var b = await PostAsync(host, keyB, "/v1/chat/completions", ChatJson());
        var bTook = started.Elapsed;
        var bSeen = await DescribeAsync(b);
        using (var a = await slowA)
        {
            Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        }

        Assert.True(b.StatusCode == HttpStatusCode.OK,
            $"While tenant A's slow request held the recovered deployment's half-open probe, tenant B got {bSeen} after {bTook.TotalMilliseconds:0} ms");
    }

    /// <summary>
    /// Attack: every upstream attempt that failed was logged at Warning, the provider's refusal of the request's own input
    /// (a 400) included, so any tenant could fill the operator's warnings at its request rate with requests the provider
    /// refuses (found in review H, 2026-12-07). Fixed: the request's own refusals are logged at Debug (the client reads
    /// them in its answer, the ledger in the row's status); the deployment's failures (here a 500) stay at Warning.
    /// </summary>
    [Fact]
    public async Task ATenantsOwnProviderRefusalsDoNotFillTheOperatorsWarnings()
    {
        var host = await StartApiAsync(OneDeployment("litellm_settings:\n  num_retries: 0\n"));
        var logs = new Alerting.LogCapture();
        host.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
        var (_, keyA) = await TenantAsync(host, "loud-a");
        for (var i = 0; i < 5; i++)
        {
            Primary.Enqueue(FakeResponse.Error(400, "Invalid schema for function 'f'"));
            using var refused = await PostToAsync(host, keyA, "/v1/chat/completions", ChatJson());
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        Primary.Enqueue(FakeResponse.Error(500, "internal error"));
        using (var failed = await PostToAsync(host, keyA, "/v1/chat/completions", ChatJson()))
        {
            Assert.NotEqual(HttpStatusCode.OK, failed.StatusCode);
        }

        var warnings = logs.Lines.Where(line => line.StartsWith("Warning ", StringComparison.Ordinal) && line.Contains(" failed: ", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count(line => line.Contains("BadRequest", StringComparison.Ordinal)) == 0,
            "Tenant A's five requests the provider refused (400) were logged as warnings:\n" + string.Join("\n", warnings));
        Assert.Contains(warnings, line => line.Contains("ServerError 500", StringComparison.Ordinal)); // the deployment's own failure still is
    }

    // =================================================================================================================
    // Guards: checked and found safe
    // =================================================================================================================

    /// <summary>
    /// Guard: A cancelling its streams mid-answer (four times, past <c>allowed_fails</c>, under <c>DisconnectPolicy: cancel</c>
    /// so the upstream is cut too) and A's own provider 400s are the request's, not the deployment's: nothing cools down,
    /// and B is served.
    /// </summary>
    [Fact]
    public async Task ATenantCancellingStreamsMidAnswerDoesNotCoolTheDeploymentDown()
    {
        var host = await StartApiAsync(OneDeployment("litellm_settings:\n  allowed_fails: 2\n  cooldown_time: 30\n  num_retries: 0\n"),
            ("Gateway:DisconnectPolicy", "cancel"));
        var (_, keyA) = await TenantAsync(host, "cancel-a");
        var (_, keyB) = await TenantAsync(host, "cancel-b");
        for (var i = 0; i < 4; i++)
        {
            Primary.Enqueue(new FakeResponse { Text = string.Join(" ", Enumerable.Repeat("word", 40)), DelayBetweenChunks = TimeSpan.FromMilliseconds(100) });
            using var client = host.CreateLoopbackClient();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Headers = { Authorization = new AuthenticationHeaderValue("Bearer", keyA) },
                Content = new StringContent(ChatJson("tell me a story", "\"stream\":true"), Encoding.UTF8, "application/json"),
            };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Timeout);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Timeout));
            string? line;
            while ((line = await reader.ReadLineAsync(Timeout)) is not null && !line.Contains("\"content\"", StringComparison.Ordinal))
            {
            }
            // Hang up mid-answer.
        }

        for (var i = 0; i < 3; i++)
        {
            Primary.Enqueue(FakeResponse.Error(400, "Invalid schema for function 'f'"));
            using var refused = await PostAsync(host, keyA, "/v1/chat/completions", ChatJson());
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        await LocalProcess.WaitUntilAsync(() => Task.FromResult(Primary.RequestsAbortedByClient + Primary.StreamsAbortedByClient >= 4), TimeSpan.FromSeconds(20),
            "A's four streams cut upstream");
        using var b = await PostAsync(host, keyB, "/v1/chat/completions", ChatJson());
        Assert.Equal("healthy", await HealthStateAsync(host));
        Assert.True(b.StatusCode == HttpStatusCode.OK, $"B after A's cancelled streams and 400s: {await DescribeAsync(b)}");
    }

    /// <summary>
    /// Guard: A opens streams and never reads them (raw sockets; the provider streams ~600 KB each). The relay writes through
    /// Kestrel's bounded response pipe (backpressure, no buffering of its own) and holds nothing shared with B — no upstream
    /// connection limit, no parallel lease unless A's key has <c>max_parallel_requests</c> — so B is served at once.
    /// </summary>
    [Fact]
    public async Task StreamsTheClientNeverReadsDoNotHoldUpOtherTenants()
    {
        var host = await StartApiAsync(OneDeployment());
        var (_, keyA) = await TenantAsync(host, "unread-a");
        var (_, keyB) = await TenantAsync(host, "unread-b");
        var big = string.Join(" ", Enumerable.Repeat("lorem ipsum dolor sit amet", 24_000)); // ~600 KB
        var body = ChatJson("everything", "\"stream\":true");
        var connections = new List<RawHttpConnection>();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                Primary.Enqueue(new FakeResponse { Text = big, ChunkCount = 300 });
                var connection = await RawHttpConnection.OpenAsync(host.BaseAddress, "POST", "/v1/chat/completions", new Dictionary<string, string>
                {
                    ["Authorization"] = "Bearer " + keyA,
                    ["Content-Type"] = "application/json",
                    ["Content-Length"] = Encoding.UTF8.GetByteCount(body).ToString(CultureInfo.InvariantCulture),
                }, Timeout);
                connections.Add(connection);
                await connection.SendAsync(body, Timeout); // and never read
            }

            await LocalProcess.WaitUntilAsync(() => Task.FromResult(Primary.RequestCount >= 6), TimeSpan.FromSeconds(20), "A's six streams upstream");
            var started = Stopwatch.StartNew();
            using var b = await PostAsync(host, keyB, "/v1/chat/completions", ChatJson());
            Assert.True(b.StatusCode == HttpStatusCode.OK, $"B while A's streams are unread: {await DescribeAsync(b)}");
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"B took {started.Elapsed.TotalSeconds:0.0} s while A's streams were unread");
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Guard: the values A chooses per request — model names (404s), tags (body, <c>metadata.tags</c>, headers), end-user ids
    /// (<c>user</c>, <c>x-gateway-end-user</c>), its <c>x-request-id</c> and cache namespaces — create no Redis keys (invented tags
    /// and unknown end users without <c>max_end_user_budget</c> get no counters) and no <c>/metrics</c> label values (labels are
    /// the model group, team, provider, status class and error class).
    /// </summary>
    [Fact]
    public async Task ClientChosenValuesCreateNoRedisKeysAndNoMetricLabels()
    {
        var host = await StartApiAsync(OneDeployment("litellm_settings:\n  cache: true\n  cache_params:\n    type: redis\n    ttl: 60\n"));
        var (_, keyA) = await TenantAsync(host, "labels-a");
        var marker = $"rnd{Run}x";
        for (var i = 0; i < 5; i++)
        {
            using (var unknown = await PostAsync(host, keyA, "/v1/chat/completions",
                       $$"""{"model":"{{marker}}-model-{{i}}","messages":[{"role":"user","content":"hi"}]}""")) 
            {
                Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            }

            using var client = host.CreateLoopbackClient();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Headers = { Authorization = new AuthenticationHeaderValue("Bearer", keyA) },
                Content = new StringContent(ChatJson($"hello {i}",
                    $$"""
                    "user":"{{marker}}-user-{{i}}","tags":["{{marker}}-tag-{{i}}"],"metadata":{"tags":["{{marker}}-mtag-{{i}}"]},"cache":{"namespace":"{{marker}}ns{{i}}"}
                    """), Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("x-gateway-tags", $"{marker}-htag-{i}");
            request.Headers.TryAddWithoutValidation("x-gateway-end-user", $"{marker}-huser-{i}");
            request.Headers.TryAddWithoutValidation("x-request-id", $"{marker}-rid-{i}");
            using var answer = await client.SendAsync(request, Timeout);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        var keys = new List<string>();
        foreach (var endpoint in redis.GetEndPoints())
        {
            await foreach (var key in redis.GetServer(endpoint).KeysAsync(pattern: $"*{marker}*", pageSize: 1000))
            {
                keys.Add(key.ToString());
            }
        }

        // The cache entries live under A's team's tag with A's own namespace: bounded by the team's byte quota, not per value.
        var outsideCache = keys.Where(k => !k.Contains("cache:{team:", StringComparison.Ordinal)).ToList();
        Assert.True(outsideCache.Count == 0, "Redis keys named after values tenant A chose:\n" + string.Join("\n", outsideCache));

        using var scrape = await host.CreateLoopbackClient().GetAsync("/metrics", Timeout);
        var metrics = await scrape.Content.ReadAsStringAsync(Timeout);
        var labelled = metrics.Split('\n').Where(l => l.Contains(marker, StringComparison.Ordinal)).Take(5).ToList();
        Assert.True(labelled.Count == 0, "/metrics series labelled with values tenant A chose:\n" + string.Join("\n", labelled));
    }

    // -----------------------------------------------------------------------------------------------------------------

    /// <summary>The only deployment's <c>/model/info</c> health state (read from Redis): healthy, cooled_down or unhealthy.</summary>
    private async Task<string?> HealthStateAsync(GatewayApiHost host)
    {
        using var admin = Client(host);
        var info = JsonDocument.Parse(await admin.GetStringAsync("/model/info", Timeout)).RootElement;
        return info.GetProperty("data")[0].GetProperty("model_info").GetProperty("health").GetProperty("state").GetString();
    }

    /// <summary>
    /// Tenant B's ordinary traffic, three requests at once (the first answer takes half a second): a cooled-down group lets
    /// one request at a time through as its last resort, the others get 503. Their statuses.
    /// </summary>
    private async Task<int[]> ThreeAtOnceAsync(GatewayApiHost host, string key)
    {
        Primary.Enqueue(FakeResponse.Ok with { DelayBeforeHeaders = TimeSpan.FromMilliseconds(500) });
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => PostAsync(host, key, "/v1/chat/completions", ChatJson())));
        var statuses = answers.Select(r => (int)r.StatusCode).ToArray();
        foreach (var answer in answers)
        {
            answer.Dispose();
        }

        return statuses;
    }
}
