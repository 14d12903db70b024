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
/// flight per slot) and one that never does, and one with two calls in flight per slot, in interleaved phases; Redis' CPU (utime + stime from /proc) and this
/// process's CPU are read around each phase. Explicit: run it alone on an idle machine with
/// <c>-class 'LlmGateway.Tests.Limits.LimitScriptsCost' -explicit only</c>; the figures go to <c>$TMPDIR/limit-scripts-cost.txt</c>.
/// </summary>
public sealed class LimitScriptsCost
{
    private const int Requests = 72_000;
    private const int Phases = 9;
    private static readonly int[] InFlight = [1, 2, int.MaxValue]; // int.MaxValue: never coalesced
    private const int Callers = 64;
    private const long TicksPerSecond = 100; // USER_HZ on Linux

    [Fact(Explicit = true)]
    public async Task RedisCpuPerAdmittedAndSettledRequest()
    {
        await using var server = await TestServers.StartOwnRedisAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},asyncTimeout=20000");
        var db = redis.GetDatabase();
        var pid = int.Parse(((string)(await db.ExecuteAsync("INFO", "server"))!).Split('\n')
            .First(l => l.StartsWith("process_id:", StringComparison.Ordinal))[11..].Trim(), CultureInfo.InvariantCulture);
        var keys = TeamAndKeyKeys();
        await db.StringSetAsync(keys[3], 0);
        await db.StringSetAsync(keys[9], 0);
        var modes = InFlight.Select(n => (Admit: new ScriptBatcher(redis, LimitScripts.Admit, LimitScripts.AdmitBatch, n),
            Settle: new ScriptBatcher(redis, LimitScripts.Settle, LimitScripts.SettleBatch, n))).ToArray();
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
            var callsBefore = modes[mode].Admit.ScriptCalls + modes[mode].Settle.ScriptCalls;
            await RunAsync(modes[mode], keys, $"p{phase}", Requests / Phases);
            redisCpu[mode] += (RedisTicks(pid) - redisBefore) * 1_000_000.0 / TicksPerSecond;
            ownCpu[mode] += (Process.GetCurrentProcess().TotalProcessorTime - ownBefore).TotalMicroseconds;
            calls[mode] += modes[mode].Admit.ScriptCalls + modes[mode].Settle.ScriptCalls - callsBefore;
        }

        var perMode = Requests / (double)Phases * (Phases / modes.Length);
        var line = $"{DateTime.UtcNow:O} load={File.ReadAllText("/proc/loadavg").Split(' ')[0]} " + string.Join("  ", InFlight.Select((n, m) => string.Create(CultureInfo.InvariantCulture,
            $"in-flight {(n == int.MaxValue ? "unbounded" : n)}: redis={redisCpu[m] / perMode:F1}us/req client={ownCpu[m] / perMode:F1}us/req calls={calls[m] / perMode:F3}/req")));
        line += "\n  where Redis' time goes (INFO commandstats, µs per request, all modes): " + await CommandTimesAsync(db, Requests + 2_000 * modes.Length);
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        await File.AppendAllTextAsync(Path.Combine(Path.GetTempPath(), "limit-scripts-cost.txt"), line + "\n", TestContext.Current.CancellationToken);
        Assert.True(calls[0] < calls[2]);
    }

    /// <summary>A key's scope then its team's, both under the team's hash tag: 12 keys, as the gateway passes them.</summary>
    private static RedisKey[] TeamAndKeyKeys() =>
        [.. new[] { "key:k1", "team:t1" }.SelectMany(scope => new[] { "rpm", "tpm", "par", "spent:w", "reserved:w", "holds:w" }
            .Select(k => (RedisKey)$"llmgateway:{{t:t1}}:{scope}:{k}"))];

    private static async Task RunAsync((ScriptBatcher Admit, ScriptBatcher Settle) mode, RedisKey[] keys, string prefix, int requests)
    {
        var next = -1;
        var ct = TestContext.Current.CancellationToken;
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) is var i && i < requests)
            {
                var id = $"{prefix}-{i}";
                var admitted = (RedisResult[])(await mode.Admit.RunAsync("t:t1", keys,
                    [id, 2, 100, 1_000, 600_000, 3_600_000, 1_000_000_000, 1_000_000_000, -1, 1_000_000_000_000_000, 3_600_000,
                        1_000_000_000, 1_000_000_000, -1, 1_000_000_000_000_000, 3_600_000], ct))!;
                Assert.Equal(1, (int)admitted[0]);
                await mode.Settle.RunAsync("t:t1", keys, [id, 2, 100, 80, (long)admitted[1], 700, 1_000, "1", "0", "1", "1", "0", "1"], ct);
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
