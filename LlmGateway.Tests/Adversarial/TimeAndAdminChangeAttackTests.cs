using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: time, windows and management changes made while a key's requests are in flight or its counters hold state. A
/// teammate who wants more budget than given (or whose key is being rotated) waits for — or asks an admin for — a change
/// that moves the key's counters: its team, a budget removed then set again, a secret regenerated with a grace period.
/// Every call here costs exactly $0.10 (100 output tokens at $0.001, input free) and reserves exactly $0.10
/// (<c>max_tokens: 100</c>), so any overshoot is the gateway's and not the estimate's.
/// </summary>
public sealed class TimeAndAdminChangeAttackTests(TestServers servers) : AdversarialTestBase(servers)
{
    private const string Request = """{"model":"chat","max_tokens":100,"messages":[{"role":"user","content":"hello"}]}""";

    private string Chat() => Config(Model("chat", "openai/gpt-test", Primary, "input_cost_per_token: 0", "output_cost_per_token: 0.001"));

    private static FakeResponse Costing10Cents => FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 };

    /// <summary>One request to the first replica only (the one that answered the management call), no round-robin.</summary>
    private async Task<HttpStatusCode> SendAsync(GatewayApiHost host, string key)
    {
        using var client = host.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
            Content = new StringContent(Request, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        using var response = await client.SendAsync(request, Timeout);
        return response.StatusCode;
    }

    /// <summary>Sends requests one at a time until one is refused (a 429), at most <paramref name="most"/>: how many were admitted.</summary>
    private async Task<int> SendUntilRefusedAsync(GatewayApiHost host, string key, int most)
    {
        for (var admitted = 0; admitted < most; admitted++)
        {
            var status = await SendAsync(host, key);
            if (status != HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, status);
                return admitted;
            }
        }

        return most;
    }

    private async Task SendOkAsync(GatewayApiHost host, string key, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(host, key));
        }
    }

    /// <summary>
    /// Twelve requests of $0.10 that stay 5 s upstream (the $1.00 budget admits ten): returns them once every one is upstream
    /// or refused, with how many are upstream. Later requests are answered at once.
    /// </summary>
    private async Task<(List<Task<HttpStatusCode>> InFlight, int Upstream)> StartInFlightAsync(GatewayApiHost host, string key)
    {
        Primary.Default = Costing10Cents with { DelayBeforeHeaders = TimeSpan.FromSeconds(5) };
        var before = Primary.RequestCount;
        var inFlight = Enumerable.Range(0, 12).Select(async _ =>
        {
            using var response = await PostAsync(host, key, "/v1/chat/completions", Request);
            return response.StatusCode;
        }).ToList();
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(Primary.RequestCount - before + inFlight.Count(t => t.IsCompleted) >= 12),
            TimeSpan.FromSeconds(4), "every first request upstream or refused");
        Primary.Default = Costing10Cents;
        return (inFlight, Primary.RequestCount - before);
    }

    private async Task<JsonElement> AdminAsync(GatewayApiHost host, string path, object body)
    {
        using var admin = Client(host);
        return await ManagementCalls.PostOkAsync(admin, path, body);
    }

    private async Task<string> TeamAsync(GatewayApiHost host, string alias) =>
        (await AdminAsync(host, "/team/new", new { team_alias = alias })).GetProperty("team_id").GetString()!;

    /// <summary>Waits until the key has <paramref name="count"/> ledger rows (so a counter seeded from the ledger sees them all).</summary>
    private async Task<decimal> LedgerSpendAsync(GatewayApiHost host, string key, int count) =>
        (await LedgerRowsAsync(host, key, count)).Sum(r => r.GetProperty("spend").GetDecimal());

    private async Task<decimal> KeyInfoSpendAsync(GatewayApiHost host, string key)
    {
        using var admin = Client(host);
        var info = await admin.GetFromJsonAsync<JsonElement>($"/key/info?key={Uri.EscapeDataString(key)}", Timeout);
        return info.GetProperty("info").GetProperty("spend").GetDecimal();
    }

    /// <summary>
    /// An admin lifts a key's budget for a while (<c>max_budget: null</c>, "a limit sent as null is removed") and sets it
    /// again. The budget has no duration: it is for all time, and the ledger says the key spent $1.50 of it. A key without
    /// any limit has no scope in the admission script, so nothing was counted in its Redis counter meanwhile; when the
    /// budget comes back, the counter left from before ($0.50, a 400-day TTL) is used as it is, not seeded again from the
    /// ledger: the key was admitted $0.50 more on a $1.00 budget it had already passed by half. Now a budget set where none
    /// was drops the counter, which the next admission seeds from the ledger (<c>ScopeCounters.RecountAsync</c>).
    /// </summary>
    [Fact]
    public async Task ASpendMadeWhileTheKeysBudgetWasLiftedStillCountsWhenTheBudgetIsBack()
    {
        var host = await StartApiAsync(Chat());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "budget-lifted" }, new { max_budget = 1.00 });
        Primary.Default = Costing10Cents;

        await SendOkAsync(host, key, 5);                                      // $0.50 under the budget
        await AdminAsync(host, "/key/update", new { key, max_budget = (decimal?)null });
        await SendOkAsync(host, key, 10);                                     // $1.00 with no budget
        var ledger = await LedgerSpendAsync(host, key, 15);
        await AdminAsync(host, "/key/update", new { key, max_budget = 1.00 });
        var reported = await KeyInfoSpendAsync(host, key);

        var admitted = await SendUntilRefusedAsync(host, key, 10);

        Assert.True(admitted == 0,
            $"the $1.00 budget set again on a key whose ledger says ${ledger} spent admitted {admitted} more requests of $0.10 " +
            $"(bound 0; /key/info reported spend ${reported})");
    }

    /// <summary>
    /// A key moved to another team (<c>/key/update team_id</c>) and back. Its counters carry the team's hash tag, so each
    /// move starts other counters: in team B the key's budget counter is seeded from the ledger (right: $0.50), but back in
    /// team A the old counter, still alive, said $0.50 — what was spent in team B was forgotten, and admitted again. Now a
    /// move drops the counter under the new team's tag, seeded again from the ledger.
    /// </summary>
    [Fact]
    public async Task AKeyMovedToAnotherTeamAndBackKeepsWhatItSpentInTheOther()
    {
        var host = await StartApiAsync(Chat());
        var (teamA, key) = await TeamAndKeyAsync(host, new { team_alias = "move-a" }, new { max_budget = 1.00 });
        var teamB = await TeamAsync(host, "move-b");
        Primary.Default = Costing10Cents;

        await SendOkAsync(host, key, 5);
        await LedgerSpendAsync(host, key, 5);
        await AdminAsync(host, "/key/update", new { key, team_id = teamB });
        var inB = await SendUntilRefusedAsync(host, key, 10);
        await LedgerSpendAsync(host, key, 5 + inB);
        await AdminAsync(host, "/key/update", new { key, team_id = teamA });
        var reported = await KeyInfoSpendAsync(host, key);

        var back = await SendUntilRefusedAsync(host, key, 10);

        var total = 5 + inB + back;
        Assert.True(total <= 10,
            $"admitted 5 in team A, {inB} in team B, then {back} back in team A: {total} requests of $0.10 on a $1.00 key budget " +
            $"(bound 10; /key/info spend after the move back ${reported})");
    }

    /// <summary>
    /// A key moved to another team while its requests are in flight: their reservations ($1.00, the whole budget) are in the
    /// old team's counters, and the new counter is seeded from the ledger, which has none of them yet. So the key is
    /// admitted again while the first requests still run — documented (docs/governance.md, "An admin's change that moves a
    /// scope's counters"): a change that moves counters passes the budget by at most what the requests in flight at that
    /// moment cost (here 10 × $0.10: 20 admitted); never more, and not at all after them.
    /// </summary>
    [Fact]
    public async Task AKeyMovedToAnotherTeamWhileItsRequestsAreInFlightPassesItsBudgetByThoseRequestsAtMost()
    {
        var host = await StartApiAsync(Chat());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "inflight-a" }, new { max_budget = 1.00 });
        var teamB = await TeamAsync(host, "inflight-b");
        var (inFlight, upstream) = await StartInFlightAsync(host, key);
        await AdminAsync(host, "/key/update", new { key, team_id = teamB });

        var after = await SendUntilRefusedAsync(host, key, 12);
        var first = (await Task.WhenAll(inFlight)).Count(s => s == HttpStatusCode.OK);

        Assert.True(first + after <= 10 + upstream,
            $"{first} requests admitted before the move ({upstream} were upstream at the move) and {after} after it: " +
            $"{first + after} requests of $0.10 on a $1.00 key budget (bound 10 + the {upstream} in flight)");
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(host, key)); // and once they settled, nothing more
    }

    /// <summary>
    /// An admin gives a team's all-time budget a period (<c>budget_duration: "30d"</c>, a tightening) while its requests are
    /// in flight. The window's id is part of the counter's name (<c>spent:&lt;window start&gt;</c>), so the team gets new
    /// counters, seeded from the ledger — which has none of the requests in flight, and whose reservations stay in the old
    /// counters. Documented bound, as for a key moved: passed by what the requests in flight at the change cost, at most.
    /// </summary>
    [Fact]
    public async Task ATeamBudgetGivenAPeriodWhileItsRequestsAreInFlightIsPassedByThoseRequestsAtMost()
    {
        var host = await StartApiAsync(Chat());
        var (teamId, key) = await TeamAndKeyAsync(host, new { team_alias = "period", max_budget = 1.00 });
        var (inFlight, upstream) = await StartInFlightAsync(host, key);
        await AdminAsync(host, "/team/update", new { team_id = teamId, budget_duration = "30d" });

        var after = await SendUntilRefusedAsync(host, key, 12);
        var first = (await Task.WhenAll(inFlight)).Count(s => s == HttpStatusCode.OK);

        Assert.True(first + after <= 10 + upstream,
            $"{first} requests admitted before the team's budget got a 30d period ({upstream} upstream at the change) and {after} " +
            $"after it: {first + after} requests of $0.10 on a $1.00 team budget (bound 10 + the {upstream} in flight)");
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(host, key));
    }

    /// <summary>
    /// The same for the key's rpm window: an exact sliding window of 60 s (docs/governance.md) under the team's hash tag, so a
    /// key moved to another team started an empty window and was admitted its rpm again within the same minute. Now a move
    /// carries the key's rpm window and tpm buckets to the new team's names (<c>ScopeCounters.CarryWindowsAsync</c>), and
    /// those of its per-model limits (<c>model_rpm_limit</c>: they were left behind, 3 more admitted, until carried too).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AKeyMovedToAnotherTeamKeepsItsRequestsOfTheLastMinute(bool perModel)
    {
        var host = await StartApiAsync(Chat());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "rpm-a" },
            perModel ? new { model_rpm_limit = new Dictionary<string, long> { ["chat"] = 3 } } : new { rpm_limit = 3 });
        var teamB = await TeamAsync(host, "rpm-b");
        Primary.Default = Costing10Cents;
        var clock = Stopwatch.StartNew();

        var first = await SendUntilRefusedAsync(host, key, 6);
        await AdminAsync(host, "/key/update", new { key, team_id = teamB });
        var after = await SendUntilRefusedAsync(host, key, 6);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(50), "the test must run within one rpm window");
        Assert.True(first + after <= 3,
            $"{(perModel ? "model_rpm_limit" : "rpm_limit")} 3: {first} admitted, the key moved to another team, then {after} more within {clock.Elapsed.TotalSeconds:F0} s " +
            $"({first + after} in one minute, bound 3)");
    }

    /// <summary>
    /// <c>/key/{key}/regenerate</c> with a grace period: "the old secret keeps working until the grace period ends"
    /// (docs/governance.md) — a rotation after a leak relies on it stopping then. The key record served for the old secret
    /// carries <c>GraceUntil</c>, but authentication checks only <c>Blocked</c> and <c>Expires</c>; and once the cached
    /// record is past its TTL (5 s), Postgres answering "no such key" stores the hash as unknown without dropping the cached
    /// record, which <c>KeyCache.GetAsync</c> keeps serving for the stale grace (120 s) meant for a Postgres that cannot
    /// answer. Measured: the old secret answered for the whole 7 s the test watches after its 2 s grace. Now the authenticator
    /// refuses a record past its <c>GraceUntil</c>, and a load answered "no such key" drops the cached record.
    /// </summary>
    [Fact]
    public async Task ARegeneratedKeysOldSecretStopsWhenItsGracePeriodEnds()
    {
        var host = await StartApiAsync(Chat());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "rotate" });
        Primary.Default = Costing10Cents;
        Assert.Equal(HttpStatusCode.OK, await SendAsync(host, key));

        using var admin = Client(host);
        using var regenerated = await admin.PostAsJsonAsync($"/key/{Uri.EscapeDataString(key)}/regenerate", new { grace_period = "2s" }, Timeout);
        var answeredAt = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, regenerated.StatusCode);
        var graceEnds = answeredAt + TimeSpan.FromSeconds(2) + TimeSpan.FromMilliseconds(100); // a margin for the clock read

        var afterGrace = new List<double>();
        var during = 0;
        while (DateTimeOffset.UtcNow < graceEnds + TimeSpan.FromSeconds(7))
        {
            var sentAt = DateTimeOffset.UtcNow;
            using var response = await PostAsync(host, key, "/v1/chat/completions", Request); // both replicas in turn
            if (response.StatusCode == HttpStatusCode.OK && sentAt > graceEnds)
            {
                afterGrace.Add((sentAt - graceEnds).TotalMilliseconds);
            }
            else if (response.StatusCode == HttpStatusCode.OK)
            {
                during++;
            }

            await Task.Delay(50, Timeout); // the client's pace, not a wait for a condition
        }

        Assert.True(during > 0, "the old secret must work during its grace period");
        Assert.True(afterGrace.Count == 0,
            $"the old secret was answered {afterGrace.Count} times after its 2 s grace period ended, the last " +
            $"{(afterGrace.Count == 0 ? 0 : afterGrace.Max()):F0} ms after it (bound 0)");
    }

    /// <summary>
    /// Safe (checked): a stored response is scoped to the team that created it (<c>ResponseStore</c>: scope
    /// <c>team:&lt;id&gt;</c>), including every link of a <c>previous_response_id</c> chain: a key of another team can
    /// neither read it nor continue it, and its content never reaches that key's answer or the upstream.
    /// </summary>
    [Fact]
    public async Task AnotherTeamsKeyCannotReadOrContinueAStoredConversation()
    {
        var host = await StartApiAsync(Chat());
        var (_, owner) = await TeamAndKeyAsync(host, new { team_alias = "owner" });
        var (_, other) = await TeamAndKeyAsync(host, new { team_alias = "other" });
        Primary.Default = Costing10Cents;
        const string secret = "the launch code is 7-alpha-tango";

        using var first = await PostAsync(host, owner, "/v1/responses", $$"""{"model":"chat","max_output_tokens":100,"input":"{{secret}}"}""");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var id = JsonDocument.Parse(await first.Content.ReadAsStringAsync(Timeout)).RootElement.GetProperty("id").GetString()!;
        var upstreamBefore = Primary.RequestCount;

        using var client = host.CreateLoopbackClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", other);
        using var read = await client.GetAsync($"/v1/responses/{id}", Timeout);
        using var items = await client.GetAsync($"/v1/responses/{id}/input_items", Timeout);
        using var continued = await PostAsync(host, other, "/v1/responses",
            $$"""{"model":"chat","max_output_tokens":100,"input":"repeat what I said","previous_response_id":"{{id}}"}""");
        var continuedBody = await continued.Content.ReadAsStringAsync(Timeout);

        Assert.Equal(HttpStatusCode.NotFound, read.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, items.StatusCode);
        Assert.False(continued.IsSuccessStatusCode, $"another team continued the conversation: {(int)continued.StatusCode}");
        Assert.DoesNotContain("launch code", continuedBody, StringComparison.Ordinal);
        Assert.DoesNotContain("launch code", await read.Content.ReadAsStringAsync(Timeout), StringComparison.Ordinal);
        Assert.All(Primary.Requests.Skip(upstreamBefore), r => Assert.DoesNotContain("launch code", r.Body, StringComparison.Ordinal));
    }
}
