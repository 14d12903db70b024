using LlmGateway.Api.Limits;
using LlmGateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace LlmGateway.Tests.Limits;

/// <summary>
/// The batch forms of admit.lua and settle.lua against a real Redis: a batch leaves every counter exactly where the same
/// calls one by one leave them, and answers each member what its single call answers.
/// </summary>
public sealed partial class LimitBatchScriptsTests(TestServers servers) : IAsyncLifetime
{
    private ConnectionMultiplexer redis = null!;
    private IDatabase Db => redis.GetDatabase();

    public async ValueTask InitializeAsync() => redis = await ConnectionMultiplexer.ConnectAsync(await servers.CreateRedisAsync());

    public async ValueTask DisposeAsync() => await redis.DisposeAsync();

    private static readonly string[] Suffixes = ["rpm", "tpm", "par", "spent", "reserved", "holds"];

    private static RedisKey[] Keys(string run, string scope) => [.. Suffixes.Select(k => (RedisKey)$"{{{run}}}:{scope}:{k}")];

    /// <summary>One admission: its scopes (name, rpm, tpm, parallel, budget; -1 = none), tokens and worst-case cost.</summary>
    private sealed record Admit(string Id, long Tokens, long Cost, params (string Scope, long Rpm, long Tpm, long Par, long Budget)[] Scopes)
    {
        public RedisKey[] KeysIn(string run) => [.. Scopes.SelectMany(s => Keys(run, s.Scope))];

        public RedisValue[] Values()
        {
            var values = new List<RedisValue> { Id, Scopes.Length, Tokens, Cost, 60_000, 60_000 };
            foreach (var s in Scopes)
            {
                values.AddRange([s.Rpm, s.Tpm, s.Par, s.Budget, 3_600_000]);
            }

            return [.. values];
        }
    }

    /// <summary>
    /// The batch script called with its members packed as the gateway packs them (<c>ScriptCall.Pack</c>): members with the
    /// same keys hold one array, as the gateway's requests of one key and team hold its cached one, so their keys go once.
    /// </summary>
    private async Task<RedisResult[]> BatchAsync(RedisScript script, IReadOnlyList<(RedisKey[] Keys, RedisValue[] Values)> members, int? settles = null)
    {
        var shared = new List<RedisKey[]>();
        var packed = members.Select(m =>
        {
            var keys = shared.FirstOrDefault(k => k.SequenceEqual(m.Keys));
            if (keys is null)
            {
                shared.Add(keys = m.Keys);
            }

            return (keys, m.Values);
        }).ToList();
        var (keys, values) = ScriptCall.Pack(packed, settles);
        Assert.Equal(shared.Sum(k => k.Length), keys.Length); // each distinct key list sent once
        return (RedisResult[])(await script.EvaluateAsync(Db, keys, values))!;
    }

    private async Task SeedAsync(string run, params (string Scope, long Spent)[] budgets)
    {
        foreach (var (scope, spent) in budgets)
        {
            await Db.StringSetAsync(Keys(run, scope)[3], spent);
        }
    }

    /// <summary>A result without what depends on the clock: the minute's bucket, and an rpm or tpm refusal's retry-after.</summary>
    private static string Stable(RedisResult result)
    {
        var parts = ((RedisResult[])result!).Select(r => r.ToString()).ToArray();
        if (parts[0] == "1")
        {
            parts[1] = "bucket";
        }
        else if (parts[0] == "0" && parts[2] is "requests" or "tokens")
        {
            parts[5] = "retry";
        }

        return string.Join(",", parts);
    }

    /// <summary>Every counter of these scopes: requests in the window, tokens counted, leases, spent, reserved, reservations.</summary>
    private async Task<string> StateAsync(string run, IEnumerable<string> scopes)
    {
        var state = new List<string>();
        foreach (var scope in scopes)
        {
            var keys = Keys(run, scope);
            var tokens = (await Db.HashValuesAsync(keys[1])).Sum(v => (long)v);
            state.Add($"{scope}: rpm {-(long)(await Db.SortedSetScoreAsync(keys[0], "#") ?? 0)} tpm {tokens} par {await Db.SortedSetLengthAsync(keys[2])} " +
                $"spent {await Db.StringGetAsync(keys[3])} reserved {await Db.StringGetAsync(keys[4])} holds {await Db.SortedSetLengthAsync(keys[5])}");
        }

        return string.Join("; ", state);
    }

    /// <summary>A settle's arguments (settle.lua): the admission's, its actual cost and its minute's bucket; actual tokens are half the estimate.</summary>
    private static RedisValue[] SettleArguments(Admit a, long cost, RedisValue bucket)
    {
        var values = new List<RedisValue> { a.Id, a.Scopes.Length, a.Tokens, a.Tokens / 2, bucket, cost, a.Cost };
        foreach (var s in a.Scopes)
        {
            values.AddRange([s.Tpm < 0 ? "0" : "1", s.Par < 0 ? "0" : "1", s.Budget < 0 ? "0" : "1"]);
        }

        return [.. values];
    }

    /// <summary>Mixed scopes: a team (rpm 4, budget 100), a key (tpm 300, parallel 2, budget 60), a team+key pair, an unseeded budget.</summary>
    private static readonly Admit[] Mixed =
    [
        new("r1", 100, 30, ("team", 4, -1, -1, 100)),
        new("r2", 100, 30, ("team", 4, -1, -1, 100), ("key", -1, 300, 2, 60)),
        new("r3", 150, 20, ("key", -1, 300, 2, 60)),            // tokens: 250 of 300
        new("r4", 100, 10, ("key", -1, 300, 2, 60)),            // refused: tokens
        new("r5", 10, 30, ("team", 4, -1, -1, 100)),            // 90 of 100 reserved
        new("r6", 10, 20, ("team", 4, -1, -1, 100)),            // refused: budget, by what r1, r2 and r5 reserved
        new("r7", 10, 10, ("team", 4, -1, -1, 100), ("key", -1, 300, 2, 60)), // refused by the key's parallel limit
        new("r8", 10, 5, ("unseeded", -1, -1, -1, 50)),         // asks for a seed, writes nothing
        new("r9", 10, 10, ("team", 4, -1, -1, 100)),            // the team's 4th request: fits the rpm and budget
        new("r10", 0, 0, ("team", 4, -1, -1, 100)),             // refused: requests
    ];

    /// <summary>
    /// The admissions one by one in one run's keys, then in one batch in another's: asserts the batch answered each
    /// exactly as its single call did, and returns those answers.
    /// </summary>
    private async Task<List<string>> SingleThenBatchAsync(Admit[] admits, string one, string batchRun)
    {
        var single = new List<string>();
        foreach (var admit in admits)
        {
            single.Add(Stable(await LimitScripts.Admit.EvaluateAsync(Db, admit.KeysIn(one), admit.Values())));
        }

        var batch = await BatchAsync(LimitScripts.AdmitBatch, [.. admits.Select(a => (a.KeysIn(batchRun), a.Values()))]);
        Assert.Equal(single, batch.Select(Stable));
        return single;
    }

    [Fact]
    public async Task ABatchOfAdmissionsAnswersAndCountsExactlyAsTheSameAdmissionsOneByOne()
    {
        await SeedAsync("one", ("team", 0), ("key", 0));
        await SeedAsync("batch", ("team", 0), ("key", 0));
        var single = await SingleThenBatchAsync(Mixed, "one", "batch");
        // What the single calls answered, so the comparison is not of two equally wrong runs.
        Assert.StartsWith("0,0,tokens,300,", single[3]);
        Assert.Equal("0,0,budget,100,0,90,0", single[5]); // the last: no lease out in the scope
        Assert.Equal("0,1,max_parallel_requests,2,2,1000", single[6]);
        Assert.Equal("-1,0", single[7]);
        Assert.StartsWith("1,bucket,0,-1,", single[8]);
        Assert.StartsWith("0,0,requests,4,4,", single[9]);
        string[] scopes = ["team", "key", "unseeded"];
        Assert.Equal(await StateAsync("one", scopes), await StateAsync("batch", scopes));
        Assert.Equal("team: rpm 4 tpm 0 par 0 spent 0 reserved 100 holds 4; key: rpm 0 tpm 250 par 2 spent 0 reserved 50 holds 2; " +
            "unseeded: rpm 0 tpm 0 par 0 spent  reserved  holds 0", await StateAsync("batch", scopes));
    }

    [Fact]
    public async Task ABatchOfSettlesCountsEachOnceLikeSettlesOneByOne()
    {
        foreach (var run in new[] { "settle-one", "settle-batch" })
        {
            await SeedAsync(run, ("team", 0), ("key", 0));
            foreach (var admit in Mixed.Take(2).Append(Mixed[4]))
            {
                Assert.Equal(1, (int)((RedisResult[])(await LimitScripts.Admit.EvaluateAsync(Db, admit.KeysIn(run), admit.Values()))!)[0]);
            }
        }

        // r1 settles twice (a replayed settle counts nothing), r2 releases its key's lease and reservation, r5 costs less.
        // Bucket "0" is not the admissions' minute: the tokens stay counted as estimated (as for a settle in a later minute).
        (Admit Admit, long Cost)[] settles = [(Mixed[0], 25), (Mixed[1], 30), (Mixed[0], 25), (Mixed[4], 3)];
        RedisValue[] Arguments(Admit a, long cost) => SettleArguments(a, cost, "0");

        var single = new List<string>();
        foreach (var (admit, cost) in settles)
        {
            single.Add(string.Join(",", (RedisResult[])(await LimitScripts.Settle.EvaluateAsync(Db, admit.KeysIn("settle-one"), Arguments(admit, cost)))!));
        }

        var batch = await BatchAsync(LimitScripts.SettleBatch, [.. settles.Select(s => (s.Admit.KeysIn("settle-batch"), Arguments(s.Admit, s.Cost)))]);

        Assert.Equal(single, batch.Select(r => string.Join(",", (RedisResult[])r!)));
        Assert.Equal(["25", "55,30", "55", "58"], single);
        string[] scopes = ["team", "key"];
        Assert.Equal(await StateAsync("settle-one", scopes), await StateAsync("settle-batch", scopes));
        Assert.Equal("team: rpm 3 tpm 0 par 0 spent 58 reserved 0 holds 0; key: rpm 0 tpm 100 par 0 spent 30 reserved 0 holds 0",
            await StateAsync("settle-batch", scopes));
    }

    /// <summary>
    /// A team (budget 100) holding two lapsed reservations (80) and a live one (10); a key (rpm 3, parallel 2); a token
    /// scope (tpm 100); an rpm scope that admits nothing. The same request id twice, as a replayed admission would send it.
    /// </summary>
    private static readonly Admit[] Edges =
    [
        new("d1", 10, 20, ("team", -1, -1, -1, 100)),                                // 90 + 20 > 100: sweeps the lapsed 80, admitted
        new("dup", 10, 10, ("team", -1, -1, -1, 100), ("key", 4, -1, 2, -1)),
        new("dup", 10, 10, ("team", -1, -1, -1, 100), ("key", 4, -1, 2, -1)),        // the same id: one lease, two requests in the window
        new("d4", 60, 0, ("key", 4, -1, 2, -1), ("tk", -1, 100, -1, -1)),            // the key's 3rd request, 2nd lease
        new("d5", 60, 0, ("tk", -1, 100, -1, -1)),                                   // refused: tokens, by what d4 took
        new("d6", 0, 0, ("key", 4, -1, 2, -1)),                                      // refused: parallel, by dup and d4
        new("d7", 0, 0, ("none", 0, -1, -1, -1)),                                    // refused: requests (an empty window)
        new("d8", 0, 5, ("fresh", -1, -1, -1, 10)),                                  // asks for a seed, in the middle
        new("d9", 0, 60, ("team", -1, -1, -1, 100)),                                 // refused: budget (50 reserved), nothing to sweep
        new("d10", 0, 50, ("team", -1, -1, -1, 100), ("key", 4, -1, 5, -1)),         // a new scope set: fits the budget, the key's 4th
    ];

    private async Task PrepareEdgesAsync(string run)
    {
        await SeedAsync(run, ("team", 0));
        var holds = Keys(run, "team")[5];
        await Db.SortedSetAddAsync(holds, [new("50:old1", 0), new("30:old2", 1), new("10:live", 1e13)]);
        await Db.StringSetAsync(Keys(run, "team")[4], 90);
    }

    [Fact]
    public async Task LapsedReservationsDuplicateIdsAndRefusalsByEarlierMembersCountAsOneByOne()
    {
        await PrepareEdgesAsync("edge-one");
        await PrepareEdgesAsync("edge-batch");
        var single = await SingleThenBatchAsync(Edges, "edge-one", "edge-batch");
        Assert.Equal("1,bucket,-1,-1,30", single[0]);
        Assert.Equal("1,bucket,-1,-1,50,-1", single[2]);
        Assert.Equal("1,bucket,1,-1,-1,-1", single[3]); // the key's window counts both "dup" admissions: 4 - 2 - 1 requests remain
        Assert.StartsWith("0,0,tokens,100,60,", single[4]);
        Assert.Equal("0,0,max_parallel_requests,2,2,1000", single[5]);
        Assert.StartsWith("0,0,requests,0,0,", single[6]);
        Assert.Equal("-1,0", single[7]);
        Assert.Equal("0,0,budget,100,0,50,0", single[8]);
        Assert.Equal("1,bucket,-1,-1,100,-1", single[9]);
        string[] scopes = ["team", "key", "tk", "none", "fresh"];
        Assert.Equal(await StateAsync("edge-one", scopes), await StateAsync("edge-batch", scopes));
        Assert.Equal("team: rpm 0 tpm 0 par 0 spent 0 reserved 100 holds 4; key: rpm 4 tpm 0 par 3 spent  reserved  holds 0; " +
            "tk: rpm 0 tpm 60 par 0 spent  reserved  holds 0; none: rpm 0 tpm 0 par 0 spent  reserved  holds 0; " +
            "fresh: rpm 0 tpm 0 par 0 spent  reserved  holds 0", await StateAsync("edge-batch", scopes));
    }

    [Fact]
    public async Task ASettleBatchInTheAdmissionsMinuteCorrectsTokensReleasesLeasesAndCountsOnceAsOneByOne()
    {
        Admit solo = new("s1", 40, 7, ("solo", -1, 500, -1, 100));
        Admit[] admitted = [Mixed[0], Mixed[1], Mixed[2], solo];
        var buckets = new Dictionary<string, RedisValue>();
        foreach (var run in new[] { "minute-one", "minute-batch" })
        {
            await SeedAsync(run, ("team", 0), ("key", 0), ("solo", 0));
            foreach (var admit in admitted)
            {
                var result = (RedisResult[])(await LimitScripts.Admit.EvaluateAsync(Db, admit.KeysIn(run), admit.Values()))!;
                Assert.Equal(1, (int)result[0]);
                buckets[run] = result[1].ToString();
            }
        }

        // r3 settles twice in the batch (the second counts nothing); the key's holds are read by one ZMSCORE, solo's by its ZREM.
        (Admit Admit, long Cost)[] settles = [(Mixed[2], 12), (Mixed[1], 30), (Mixed[2], 12), (solo, 4), (Mixed[0], 25)];
        var single = new List<string>();
        foreach (var (admit, cost) in settles)
        {
            single.Add(string.Join(",", (RedisResult[])(await LimitScripts.Settle.EvaluateAsync(Db, admit.KeysIn("minute-one"), SettleArguments(admit, cost, buckets["minute-one"])))!));
        }

        var batch = await BatchAsync(LimitScripts.SettleBatch,
            [.. settles.Select(s => (s.Admit.KeysIn("minute-batch"), SettleArguments(s.Admit, s.Cost, buckets["minute-batch"])))]);

        Assert.Equal(single, batch.Select(r => string.Join(",", (RedisResult[])r!)));
        Assert.Equal(["12", "30,42", "42", "4", "55"], single);
        string[] scopes = ["team", "key", "solo"];
        Assert.Equal(await StateAsync("minute-one", scopes), await StateAsync("minute-batch", scopes));
        // Tokens corrected to the usage: the key's 250 estimated less 75 (r3) and 50 (r2); r3's replay finds its reservation
        // gone and corrects nothing (one by one as in a batch); solo's 40 estimated, 20 used.
        Assert.Equal("team: rpm 2 tpm 0 par 0 spent 55 reserved 0 holds 0; key: rpm 0 tpm 125 par 0 spent 42 reserved 0 holds 0; " +
            "solo: rpm 0 tpm 20 par 0 spent 4 reserved 0 holds 0", await StateAsync("minute-batch", scopes));
    }
}
