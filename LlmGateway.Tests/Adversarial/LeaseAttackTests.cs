using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmGateway.Api.Limits;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: leased admission (on by default, docs/governance.md "Leased admission"). A replica admits a key's requests on
/// admissions it took from Redis ahead of time, with no Redis call, so a lease does not see what happened to the key's
/// counters since its grant (an answer that cost more than its reservation, a minute's tokens used up): these tests hold
/// the leased path to the bounds of an admission per request. Every call here costs $0.0001 an output token (input free),
/// at most 100 output tokens per choice unless asked for less.
/// </summary>
public sealed class LeaseAttackTests(TestServers servers) : AdversarialTestBase(servers)
{
    private const string Priced = "output_cost_per_token: 0.0001";

    private string Chat(params string[] info) => Config(Model("chat", "openai/gpt-test", Primary, ["input_cost_per_token: 0", Priced, .. info]));

    /// <summary>A chat request through <paramref name="client"/> (the first replica only, no round-robin: one replica's leases in play).</summary>
    private static async Task<HttpStatusCode> SendAsync(HttpClient client, string key, string json, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
            Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        using var response = await client.SendAsync(request, ct);
        return response.StatusCode;
    }

    /// <summary>Sends <see cref="HundredTokens"/> one at a time until one is refused (a 429), at most 40: how many were admitted.</summary>
    private async Task<int> SendUntilRefusedAsync(HttpClient client, string key)
    {
        for (var admitted = 0; admitted < 40; admitted++)
        {
            var status = await SendAsync(client, key, HundredTokens, Timeout);
            if (status != HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, status);
                return admitted;
            }
        }

        return 40;
    }

    private const string HundredTokens = """{"model":"chat","max_tokens":100,"messages":[{"role":"user","content":"hello"}]}""";

    /// <summary>
    /// docs/governance.md ("Overshoot bound"): spend passes the budget only by Σ(actual − reserved) over the requests in
    /// flight, so a sequential client whose every answer costs more than reserved (a provider ignoring max_tokens, a prompt the
    /// estimate under-counts) overshoots by one request's excess at most: BudgetTests checks it with leases unable to start.
    /// Here a lease fits the budget: the one taken after the first request (16 admissions at $0.0125) kept admitting after the
    /// spend passed the budget (18 admitted, $1.80) until an overrun ended the key's leases (<c>LimitsGate.EndLeasesOf</c>).
    /// </summary>
    [Fact]
    public async Task ASequentialClientWhoseAnswersCostTenTimesTheirReservationOvershootsByAtMostOneRequestsExcess()
    {
        var host = await StartApiAsync(Chat());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "lease-overrun" }, new { max_budget = 1.00 });
        Primary.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 1000 }; // $0.10 where $0.01 was reserved
        using var client = host.CreateLoopbackClient();
        // Every answer overruns: the scopes' leases are ended and announced once per quiet second, not once per answer.
        var announced = 0;
        await using var watcher = await ConnectionMultiplexer.ConnectAsync(host.Services.GetRequiredService<IConnectionMultiplexer>().Configuration);
        await watcher.GetSubscriber().SubscribeAsync(LimitsGate.LeaseEndsChannel, (_, _) => Interlocked.Increment(ref announced));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var admitted = await SendUntilRefusedAsync(client, key);

        // Without leases: 10 admitted ($1.00 spent, the 11th refused); the bound allows one request's $0.09 excess more.
        var leased = host.Services.GetRequiredService<LimitsGate>().LeasedAdmissions;
        Assert.True(admitted * 0.10m <= 1.00m + 0.09m,
            $"{admitted} requests of $0.10 admitted against a $1.00 budget (${admitted * 0.10m} spent, {leased} of them on leases)");
        var seconds = clock.Elapsed.TotalSeconds;
        Assert.True(Volatile.Read(ref announced) <= Math.Ceiling(seconds) + 1,
            $"{announced} announcements of an overrun for {admitted} overrunning answers in {seconds:F1} s (at most one per quiet second)");
    }

    /// <summary>
    /// The same with a tpm limit: each answer reports 1,010 tokens where about 120 were reserved (the worst case), one request
    /// at a time, all in one minute of Redis' clock. Without leases the minute admits while the tokens counted (the settled
    /// answers' actual ones) leave room for the next estimate: 10 requests, 10,100 tokens against 10,000. A lease that kept
    /// admitting went past the limit (19 to 24 requests) before an overrun ended it.
    /// </summary>
    [Fact]
    public async Task ASequentialClientWhoseAnswersUseMoreTokensThanReservedOvershootsTheMinuteByAtMostOneRequestsExcess()
    {
        var host = await StartApiAsync(Chat());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "lease-tokens" }, new { tpm_limit = 10_000 });
        Primary.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 1000 };
        using var client = host.CreateLoopbackClient();
        await WellInsideAMinuteAsync(host);
        var minute = await RedisMinuteAsync(host);

        var admitted = await SendUntilRefusedAsync(client, key);

        Assert.Equal(minute, await RedisMinuteAsync(host));
        var leased = host.Services.GetRequiredService<LimitsGate>().LeasedAdmissions;
        Assert.True(admitted * 1010 <= 10_000 + 1010,
            $"{admitted} requests of 1,010 tokens admitted in one minute against tpm_limit 10,000 ({admitted * 1010} tokens, {leased} on leases)");
    }

    /// <summary>
    /// A key already past its budget and its minute's tokens (spent above max_budget after answers that cost more than
    /// reserved) refuses every request through admit.lua, even one estimated at $0 and no tokens (a free model):
    /// <c>spent + reserved + 0 &gt; budget</c>. So does lease_grant (it granted 8 admissions when it checked a budget only for
    /// admissions that cost something and a tpm limit only for ones with tokens: a key over budget kept being served by a
    /// lease chain started before it went over).
    /// </summary>
    [Fact]
    public async Task ALeaseOfFreeRequestsIsNotGrantedToAKeyPastItsBudgetAndTokens()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(await Servers.CreateRedisAsync());
        var db = redis.GetDatabase();
        RedisKey[] keys = [.. new[] { "rpm", "tpm", "par", "spent", "reserved", "holds" }.Select(k => (RedisKey)$"t:{{over}}:{k}")];
        await db.StringSetAsync(keys[3], 200);                       // spent 200 nanos of a 100-nano budget
        RedisValue[] request(string id, params RedisValue[] more) => [id, 1, 0, 0, 60_000, 3_600_000, -1, 1_000, -1, 100, 3_600_000, .. more];
        var admitted = (RedisResult[])(await LimitScripts.Admit.EvaluateAsync(db, keys, request("r1")))!;
        Assert.Equal(0, (int)admitted[0]);                           // refused: budget
        Assert.Equal("budget", admitted[2].ToString());

        var lease = (RedisResult[])(await LimitScripts.LeaseGrant.EvaluateAsync(db, keys, request("L1", 8, 5_000)))!;

        // The same past a tpm limit: 1,500 tokens counted in this minute (and the last) against 1,000, no budget.
        RedisKey[] tpmKeys = [.. keys.Select(k => (RedisKey)((string)k!).Replace("{over}", "{over-tpm}"))];
        var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        var bucket = ((long)time[0] * 1000 + (long)time[1] / 1000) / 60_000;
        await db.HashSetAsync(tpmKeys[1], [new(bucket, 1_500), new(bucket + 1, 1_500)]);
        RedisValue[] tokensOnly(string id, params RedisValue[] more) => [id, 1, 0, 0, 60_000, 3_600_000, -1, 1_000, -1, -1, 3_600_000, .. more];
        Assert.Equal(0, (int)((RedisResult[])(await LimitScripts.Admit.EvaluateAsync(db, tpmKeys, tokensOnly("r2")))!)[0]);
        var tokensLease = (RedisResult[])(await LimitScripts.LeaseGrant.EvaluateAsync(db, tpmKeys, tokensOnly("L2", 8, 5_000)))!;

        Assert.True((int)lease[0] == 0 && (int)tokensLease[0] == 0,
            $"leases of {(int)lease[0]} (budget) and {(int)tokensLease[0]} (tpm) admissions granted where admit.lua refuses");
    }

    /// <summary>
    /// Safe: a request that may cost more than a lease's admission (n choices, no max_tokens, another endpoint) never rides it:
    /// <c>AdmitOnLease</c> compares the request's own worst-case cost and tokens with the admission's and sends a larger one to
    /// Redis, which refuses it here.
    /// </summary>
    [Fact]
    public async Task ARequestDearerThanTheLeasesAdmissionsIsDecidedByRedis()
    {
        var host = await StartApiAsync(Chat());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "lease-dearer" }, new { max_budget = 0.05 });
        using var client = host.CreateLoopbackClient();
        var gate = host.Services.GetRequiredService<LimitsGate>();
        const string cheap = """{"model":"chat","max_tokens":1,"messages":[{"role":"user","content":"hello"}]}""";
        Primary.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 1 };

        // $0.0001 requests: the second rides the lease taken after the first.
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, key, cheap, Timeout));
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(gate.LeasesOut > 0), TimeSpan.FromSeconds(5), "a lease");
        var leased = gate.LeasedAdmissions;
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, key, cheap, Timeout));
        Assert.Equal(leased + 1, gate.LeasedAdmissions);
        var before = Primary.RequestCount;

        // Worst cases above the $0.05 budget: ten choices of 100 tokens ($0.10), no max_tokens (the 4,096-token default: $0.41),
        // the Responses API without max_output_tokens. Sent at once, while the lease is fresh.
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(client, key,
            """{"model":"chat","n":10,"max_tokens":100,"messages":[{"role":"user","content":"hello"}]}""", Timeout));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(client, key,
            """{"model":"chat","messages":[{"role":"user","content":"hello"}]}""", Timeout));
        using (var responses = await PostAsync(host, key, "/v1/responses", """{"model":"chat","input":"hello"}"""))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, responses.StatusCode);
        }

        Assert.Equal(before, Primary.RequestCount);
        Assert.Equal(leased + 1, gate.LeasedAdmissions);
    }

    /// <summary>
    /// Safe: a key's per-model rpm limit is not escaped on a lease taken for another model of the key: leases live in the
    /// scope set of one key and model group (<c>ScopeSetFor</c>), and only that model's set has the key+model scope.
    /// </summary>
    [Fact]
    public async Task APerModelLimitIsNotEscapedOnALeaseOfAnotherModel()
    {
        var host = await StartApiAsync(Config(
            Model("chat", "openai/gpt-test", Primary, "input_cost_per_token: 0", Priced, "max_output_tokens: 100")
            + Model("limited", "openai/gpt-test", Primary, "input_cost_per_token: 0", Priced, "max_output_tokens: 100")));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "lease-model" }, new { max_budget = 10.0, model_rpm_limit = new Dictionary<string, int> { ["limited"] = 2 } });
        using var client = host.CreateLoopbackClient();
        var gate = host.Services.GetRequiredService<LimitsGate>();
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, key, HundredTokens, Timeout));
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(gate.LeasesOut > 0), TimeSpan.FromSeconds(5), "a lease on chat");

        var limited = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            limited.Add(await SendAsync(client, key, HundredTokens.Replace("\"chat\"", "\"limited\""), Timeout));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], limited);
    }

    /// <summary>
    /// Safe: a client that hangs up while admitted on a lease is billed what the provider billed, exactly once, and the lease's
    /// admission is neither lost nor used again: the request settles its own admission (<c>lease:&lt;id&gt;#n</c>, in
    /// <c>ProxyPipeline.RunAsync</c>'s finally), the lease's return gives back only the admissions after the used ones
    /// (<c>Lease.Close</c> counts every one taken), and a settle counts only a live reservation.
    /// </summary>
    [Fact]
    public async Task AClientHangingUpOnALeasedAdmissionIsBilledOnceAndNothingStaysReserved()
    {
        var host = await StartApiAsync(Chat());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "lease-hang-up" }, new { max_budget = 1.00 });
        using var client = host.CreateLoopbackClient();
        var gate = host.Services.GetRequiredService<LimitsGate>();
        Primary.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100 }; // $0.01 each
        Assert.Equal(HttpStatusCode.OK, await SendAsync(client, key, HundredTokens, Timeout));
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(gate.LeasesOut > 0), TimeSpan.FromSeconds(5), "a lease");
        var leased = gate.LeasedAdmissions;

        // Two on the fresh lease: one abandoned once the provider has it (its answer comes 1 s later), then one answered.
        Primary.Enqueue(FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100, DelayBeforeHeaders = TimeSpan.FromSeconds(1) });
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(Timeout);
        var abandoned = SendAsync(client, key, HundredTokens, hangUp.Token);
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(Primary.RequestCount == 2), TimeSpan.FromSeconds(10), "the abandoned one upstream");
        Assert.Equal(leased + 1, gate.LeasedAdmissions); // the abandoned one rides the lease
        var answered = SendAsync(client, key, HundredTokens, Timeout);
        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        Assert.Equal(HttpStatusCode.OK, await answered);

        // Once the leases are back: three requests' $0.03 spent, nothing reserved.
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var spent = server.Keys(pattern: "*:key:*:spent:*").Single();
        var reserved = (RedisKey)((string)spent!).Replace(":spent:", ":reserved:");
        await LocalProcess.WaitUntilAsync(async () => gate.LeasesOut == 0 && (long)await redis.GetDatabase().StringGetAsync(reserved) == 0
            && (long)await redis.GetDatabase().StringGetAsync(spent) == 30_000_000, TimeSpan.FromSeconds(10),
            "$0.03 spent and nothing reserved");
    }

    /// <summary>Waits until Redis' clock is at least 20 s from the end of its minute (one tpm minute for the test): at most 20 s.</summary>
    private async Task WellInsideAMinuteAsync(GatewayApiHost host)
    {
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var now = new DateTimeOffset(DateTime.SpecifyKind(await server.TimeAsync(), DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        if (60_000 - now % 60_000 < 20_000)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(60_000 - now % 60_000 + 200), Timeout);
        }
    }

    /// <summary>Redis' minute now (its tpm bucket).</summary>
    private static async Task<long> RedisMinuteAsync(GatewayApiHost host)
    {
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        var now = await redis.GetServer(redis.GetEndPoints()[0]).TimeAsync();
        return new DateTimeOffset(DateTime.SpecifyKind(now, DateTimeKind.Utc)).ToUnixTimeMilliseconds() / 60_000;
    }
}
