using System.Diagnostics;
using System.Globalization;
using LlmGateway.Api.Limits;
using LlmGateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace LlmGateway.Tests.Limits;

/// <summary>
/// The Redis CPU one admitted and settled request costs, coalesced per slot or not (docs/benchmarks.md, "Coalesced
/// admissions and settles"): 64 concurrent callers each admit and settle requests of a key in a team (rpm, tpm and a
/// budget on both, as bench/run.sh's governed key), through a <see cref="ScriptBatcher"/> that coalesces (one call in
/// flight per slot, settles waiting for the next call: the default), one whose settles go at once, and one that never
/// coalesces, in interleaved phases; Redis' CPU (utime + stime from /proc) and this
/// process's CPU are read around each phase. Explicit: run it alone on an idle machine with
/// <c>-class 'LlmGateway.Tests.Limits.LimitScriptsCost' -explicit only</c>; the figures go to <c>$TMPDIR/limit-scripts-cost.txt</c>.
/// </summary>
public sealed class LimitScriptsCost
{
    private const int Requests = 72_000;
    private const int Phases = 9;
    /// <summary>Calls in flight per slot and the settles' linger: coalesced (the default), settles sent at once, never coalesced.</summary>
    private static readonly (int InFlight, TimeSpan Linger)[] Modes =
        [(1, TimeSpan.FromMilliseconds(10)), (1, TimeSpan.Zero), (int.MaxValue, TimeSpan.Zero)];
    private const int Callers = 64;
    private const long TicksPerSecond = 100; // USER_HZ on Linux

    [Fact(Explicit = true)]
    public async Task RedisCpuPerAdmittedAndSettledRequest()
    {
        await using var server = await TestServers.StartOwnRedisAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},asyncTimeout=20000");
        var (db, pid, keys) = await PrepareAsync(redis);
        var modes = Modes.Select(m => new ScriptBatcher(redis, m.InFlight, m.Linger)).ToArray();
        for (var m = 0; m < modes.Length; m++)
        {
            await RunAsync(modes[m], keys, $"warm-{m}", 2_000);
        }

        double[] redisCpu = [0, 0, 0], ownCpu = [0, 0, 0];
        long[] calls = [0, 0, 0];
        for (var phase = 0; phase < Phases; phase++)
        {
            var mode = phase % modes.Length;
            var (redisBefore, ownBefore) = (RedisTicks(pid), Process.GetCurrentProcess().TotalProcessorTime);
            var callsBefore = modes[mode].ScriptCalls;
            await RunAsync(modes[mode], keys, $"p{phase}", Requests / Phases);
            redisCpu[mode] += (RedisTicks(pid) - redisBefore) * 1_000_000.0 / TicksPerSecond;
            ownCpu[mode] += (Process.GetCurrentProcess().TotalProcessorTime - ownBefore).TotalMicroseconds;
            calls[mode] += modes[mode].ScriptCalls - callsBefore;
        }

        var perMode = Requests / (double)Phases * (Phases / modes.Length);
        var line = $"{DateTime.UtcNow:O} load={File.ReadAllText("/proc/loadavg").Split(' ')[0]} " + string.Join("  ", Modes.Select((mode, m) => string.Create(CultureInfo.InvariantCulture,
            $"in-flight {(mode.InFlight == int.MaxValue ? "unbounded" : mode.InFlight)} linger {mode.Linger.TotalMilliseconds}ms: redis={redisCpu[m] / perMode:F1}us/req client={ownCpu[m] / perMode:F1}us/req calls={calls[m] / perMode:F3}/req")));
        line += "\n  where Redis' time goes (INFO commandstats, µs per request, all modes): " + await CommandTimesAsync(db, Requests + 2_000 * modes.Length);
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        await File.AppendAllTextAsync(Path.Combine(Path.GetTempPath(), "limit-scripts-cost.txt"), line + "\n", TestContext.Current.CancellationToken);
        Assert.True(calls[0] < calls[2]);
    }

    /// <summary>
    /// Redis' CPU and <c>redis.call</c>s per admitted and settled request when the scripts are called alone (the single
    /// forms) and in batches of 1, 8, 16 and 64 (the batch forms), one caller sending one batch after the other; the same
    /// governed key as above. The calls a request makes are read from <c>INFO commandstats</c> (every command but the
    /// script calls themselves), reset before each form. Explicit: <c>-method '*RedisCallsPerRequestByBatchSize' -explicit only</c>.
    /// </summary>
    [Fact(Explicit = true)]
    public async Task RedisCallsPerRequestByBatchSize()
    {
        const int perSize = 12_800;
        await using var server = await TestServers.StartOwnRedisAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},asyncTimeout=20000");
        var (db, pid, keys) = await PrepareAsync(redis);
        var line = $"{DateTime.UtcNow:O} load={File.ReadAllText("/proc/loadavg").Split(' ')[0]} by batch size (round 1 warms up):";
        for (var round = 0; round < 2; round++)
        {
            foreach (var size in new[] { 0, 1, 8, 16, 64 }) // 0: the single scripts
            {
                await db.ExecuteAsync("CONFIG", "RESETSTAT");
                var before = RedisTicks(pid);
                for (var sent = 0; sent < perSize; sent += Math.Max(1, size))
                {
                    await AdmitAndSettleAsync(db, keys, $"r{round}-s{size}-{sent}", size);
                }

                var cpu = (RedisTicks(pid) - before) * 1_000_000.0 / TicksPerSecond / perSize;
                var (calls, usec) = await RedisCallsAsync(db);
                line += string.Create(CultureInfo.InvariantCulture,
                    $"\n  round {round + 1} {(size == 0 ? "single" : $"batch {size}")}: redis={cpu:F1}us/req redis.calls={calls / (double)perSize:F2}/req commands={usec / (double)perSize:F1}us/req");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(line);
        await File.AppendAllTextAsync(Path.Combine(Path.GetTempPath(), "limit-scripts-cost.txt"), line + "\n", TestContext.Current.CancellationToken);
    }

    /// <summary><paramref name="size"/> admissions in one call (0: one with the single script), then their settles likewise.</summary>
    private static async Task AdmitAndSettleAsync(IDatabase db, RedisKey[] keys, string prefix, int size)
    {
        RedisValue[] Admit(string id) => [id, 2, 100, 1_000, 600_000, 3_600_000, 1_000_000_000, 1_000_000_000, -1, 1_000_000_000_000_000, 3_600_000,
            1_000_000_000, 1_000_000_000, -1, 1_000_000_000_000_000, 3_600_000];
        RedisValue[] Settle(string id, long bucket) => [id, 2, 100, 80, bucket, 700, 1_000, "1", "0", "1", "1", "0", "1"];
        if (size == 0)
        {
            var admitted = (RedisResult[])(await LimitScripts.Admit.EvaluateAsync(db, keys, Admit(prefix)))!;
            Assert.Equal(1, (int)admitted[0]);
            await LimitScripts.Settle.EvaluateAsync(db, keys, Settle(prefix, (long)admitted[1]));
            return;
        }

        var ids = Enumerable.Range(0, size).Select(i => $"{prefix}-{i}").ToArray();
        var (admitKeys, admitValues) = ScriptCall.Pack([.. ids.Select(id => (keys, Admit(id)))], null);
        var results = (RedisResult[])(await LimitScripts.AdmitBatch.EvaluateAsync(db, admitKeys, admitValues))!;
        Assert.All(results, r => Assert.Equal(1, (int)((RedisResult[])r!)[0]));
        var (settleKeys, settleValues) = ScriptCall.Pack([.. ids.Select((id, i) => (keys, Settle(id, (long)((RedisResult[])results[i]!)[1])))], null);
        await LimitScripts.SettleBatch.EvaluateAsync(db, settleKeys, settleValues);
    }

    /// <summary>The commands scripts called since the last reset (every command but EVAL/EVALSHA/CONFIG), and their time in µs.</summary>
    private static async Task<(long Calls, long Usec)> RedisCallsAsync(IDatabase db)
    {
        long calls = 0, usec = 0;
        foreach (var l in ((string)(await db.ExecuteAsync("INFO", "commandstats"))!).Split('\n').Where(l => l.StartsWith("cmdstat_", StringComparison.Ordinal)))
        {
            var name = l[8..l.IndexOf(':', StringComparison.Ordinal)];
            if (name is not ("eval" or "evalsha" or "config" or "info"))
            {
                calls += long.Parse(l.Split("calls=")[1].Split(',')[0], CultureInfo.InvariantCulture);
                usec += long.Parse(l.Split("usec=")[1].Split(',')[0], CultureInfo.InvariantCulture);
            }
        }

        return (calls, usec);
    }

    /// <summary>A key's scope then its team's, both under the team's hash tag: 12 keys, as the gateway passes them.</summary>
    /// <summary>The harness Redis' process id (its CPU is read from /proc), and the governed key's counters, budgets seeded at 0.</summary>
    private static async Task<(IDatabase Db, int Pid, RedisKey[] Keys)> PrepareAsync(IConnectionMultiplexer redis)
    {
        var db = redis.GetDatabase();
        var pid = int.Parse(((string)(await db.ExecuteAsync("INFO", "server"))!).Split('\n')
            .First(l => l.StartsWith("process_id:", StringComparison.Ordinal))[11..].Trim(), CultureInfo.InvariantCulture);
        var keys = TeamAndKeyKeys();
        await db.StringSetAsync(keys[3], 0);
        await db.StringSetAsync(keys[9], 0);
        return (db, pid, keys);
    }

    private static RedisKey[] TeamAndKeyKeys() =>
        [.. new[] { "key:k1", "team:t1" }.SelectMany(scope => new[] { "rpm", "tpm", "par", "spent:w", "reserved:w", "holds:w" }
            .Select(k => (RedisKey)$"llmgateway:{{t:t1}}:{scope}:{k}"))];

    private static async Task RunAsync(ScriptBatcher mode, RedisKey[] keys, string prefix, int requests)
    {
        var next = -1;
        var ct = TestContext.Current.CancellationToken;
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) is var i && i < requests)
            {
                var id = $"{prefix}-{i}";
                var admitted = (RedisResult[])(await mode.AdmitAsync("t:t1", keys,
                    [id, 2, 100, 1_000, 600_000, 3_600_000, 1_000_000_000, 1_000_000_000, -1, 1_000_000_000_000_000, 3_600_000,
                        1_000_000_000, 1_000_000_000, -1, 1_000_000_000_000_000, 3_600_000], ct))!;
                Assert.Equal(1, (int)admitted[0]);
                await mode.SettleAsync("t:t1", keys, [id, 2, 100, 80, (long)admitted[1], 700, 1_000, "1", "0", "1", "1", "0", "1"]);
            }
        }, ct)));
    }

    /// <summary>The commands Redis spent most time in (scripts and the calls they make), in µs per request.</summary>
    private static async Task<string> CommandTimesAsync(IDatabase db, int requests)
    {
        var stats = ((string)(await db.ExecuteAsync("INFO", "commandstats"))!).Split('\n')
            .Where(l => l.StartsWith("cmdstat_", StringComparison.Ordinal))
            .Select(l => (Name: l[8..l.IndexOf(':', StringComparison.Ordinal)],
                Usec: long.Parse(l.Split("usec=")[1].Split(',')[0], CultureInfo.InvariantCulture),
                Calls: long.Parse(l.Split("calls=")[1].Split(',')[0], CultureInfo.InvariantCulture)));
        return string.Join(", ", stats.OrderByDescending(s => s.Usec).Take(12).Select(s => string.Create(CultureInfo.InvariantCulture,
            $"{s.Name} {(double)s.Usec / requests:F1} ({(double)s.Calls / requests:F2} calls)")));
    }

    private static long RedisTicks(int pid)
    {
        var fields = File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
