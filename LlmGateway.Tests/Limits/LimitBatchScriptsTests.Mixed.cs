using LlmGateway.Api.Limits;
using StackExchange.Redis;

namespace LlmGateway.Tests.Limits;

/// <summary>The mixed batch (<see cref="LimitScripts.SettleThenAdmit"/>): a slot's settles, then its admissions, in one call.</summary>
public sealed partial class LimitBatchScriptsTests
{
    [Fact]
    public async Task AMixedBatchSettlesFirstThenAdmitsExactlyAsTheSameCallsOneByOne()
    {
        // Held before the call: r1 (team, 30 reserved) and r2 (team 30 and the key's budget 60, one of the key's 2 leases).
        Admit[] held = [Mixed[0], Mixed[1]];
        foreach (var run in new[] { "mixed-one", "mixed-batch" })
        {
            await SeedAsync(run, ("team", 0), ("key", 0));
            foreach (var admit in held)
            {
                Assert.Equal(1, (int)((RedisResult[])(await LimitScripts.Admit.EvaluateAsync(Db, admit.KeysIn(run), admit.Values()))!)[0]);
            }
        }

        // Settled first: r2 gives back its lease and reservations, r1 costs 25 of its 30. Then the admissions: the key's two
        // leases are free again (m1, m2), the team has exactly 45 left (m3), and m4 finds nothing left.
        (Admit Admit, long Cost)[] settles = [(Mixed[1], 30), (Mixed[0], 25)];
        Admit[] admits =
        [
            new("m1", 10, 5, ("key", -1, 300, 2, 60)),
            new("m2", 10, 5, ("key", -1, 300, 2, 60)),
            new("m3", 10, 45, ("team", 4, -1, -1, 100)),
            new("m4", 10, 1, ("team", 4, -1, -1, 100)),
        ];
        var single = new List<string>();
        foreach (var (admit, cost) in settles)
        {
            single.Add(string.Join(",", (RedisResult[])(await LimitScripts.Settle.EvaluateAsync(Db, admit.KeysIn("mixed-one"), SettleArguments(admit, cost, "0")))!));
        }

        foreach (var admit in admits)
        {
            single.Add(Stable(await LimitScripts.Admit.EvaluateAsync(Db, admit.KeysIn("mixed-one"), admit.Values())));
        }

        var members = settles.Select(s => (s.Admit.KeysIn("mixed-batch"), SettleArguments(s.Admit, s.Cost, "0")))
            .Concat(admits.Select(a => (a.KeysIn("mixed-batch"), a.Values()))).ToList();
        var batch = await BatchAsync(LimitScripts.SettleThenAdmit, members, settles: settles.Length);

        Assert.Equal(single, batch.Take(settles.Length).Select(r => string.Join(",", (RedisResult[])r!))
            .Concat(batch.Skip(settles.Length).Select(Stable)));
        Assert.Equal("30,30", single[0]); // spent after r2, of the team and of the key
        Assert.Equal("55", single[1]);
        // Admitted only because the settles ran first: m2 (r2's lease), m3 (the team's 60 reserved became 55 spent).
        Assert.Equal("1,bucket,-1,190,35", single[2]);
        Assert.Equal("1,bucket,-1,180,40", single[3]);
        Assert.Equal("1,bucket,1,-1,100", single[4]);
        Assert.Equal("0,0,budget,100,55,45,0", single[5]); // the last: no lease out in the scope
        string[] scopes = ["team", "key"];
        Assert.Equal(await StateAsync("mixed-one", scopes), await StateAsync("mixed-batch", scopes));
    }
}
