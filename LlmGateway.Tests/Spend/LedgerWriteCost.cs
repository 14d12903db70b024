using System.Globalization;
using LlmGateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

/// <summary>
/// The Postgres CPU the ledger's batch insert costs per row (docs/benchmarks.md, "The ledger's write"): writes
/// <see cref="Rows"/> usage events in batches of 500 through <c>SpendLedgerStore</c> and reads the CPU time of the
/// test Postgres (the postmaster, its live children and the children it reaped) from /proc before and after.
/// Explicit: run it alone on an idle machine with <c>-class 'LlmGateway.Tests.Spend.LedgerWriteCost' -explicit only</c>.
/// </summary>
public sealed class LedgerWriteCost(TestServers servers)
{
    private const int Rows = 64_000;
    private const int Phases = 8;
    private const int BatchSize = 500;
    private static readonly long TicksPerSecond = 100; // USER_HZ on Linux

    [Fact(Explicit = true)]
    public async Task PostgresCpuPerLedgerRow()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers);
        await database.Maintenance(DateTimeOffset.UtcNow).RunOnceAsync(TestContext.Current.CancellationToken);
        var keys = Enumerable.Range(0, 20).Select(i => HashOf($"sk-cost-{i}")).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            await database.SeedTeamAndKeyAsync($"team-cost-{i % 5}-{i}", keys[i]);
        }

        await using var store = database.Store();
        var unnest = new UnnestLedgerStore(new Microsoft.Extensions.DependencyInjection.ServiceCollection()
            .AddDbContext<LlmGateway.Api.Data.GatewayDbContext>(o => o.UseNpgsql(database.ConnectionString).UseSnakeCaseNamingConvention())
            .BuildServiceProvider().GetRequiredService<IServiceScopeFactory>(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var start = DateTimeOffset.UtcNow;
        var events = Enumerable.Range(0, Rows).Select(i => Usage($"req-cost-{i:D6}", $"team-cost-{i % 5}-{i % 20}", keys[i % 20],
            spend: 0.0001m * (i % 97), start: start.AddMilliseconds(i)) with { Tags = ["cost", $"tag-{i % 7}"] }).ToList();
        var ct = TestContext.Current.CancellationToken;
        await store.InsertAsync(events[..BatchSize], TimeSpan.FromSeconds(30), ct); // warm-up of both
        await unnest.InsertAsync(events[BatchSize..(2 * BatchSize)], TimeSpan.FromSeconds(30), ct);

        var postmaster = await PostmasterPidAsync(database.ConnectionString);
        double[] cpu = [0, 0];
        int[] rows = [0, 0];
        var phase = 0;
        foreach (var chunk in events.Skip(2 * BatchSize).Chunk(Rows / Phases))
        {
            var copy = phase++ % 2 == 0;
            var before = PostgresCpuTicks(postmaster);
            foreach (var batch in chunk.Chunk(BatchSize))
            {
                await (copy ? store.InsertAsync(batch, TimeSpan.FromSeconds(30), ct) : unnest.InsertAsync(batch, TimeSpan.FromSeconds(30), ct));
            }

            cpu[copy ? 0 : 1] += (PostgresCpuTicks(postmaster) - before) * 1_000_000.0 / TicksPerSecond;
            rows[copy ? 0 : 1] += chunk.Length;
        }

        Assert.Equal((long)Rows, (await database.TotalsAsync()).Rows);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:O} copy: rows={rows[0]} per_row={cpu[0] / rows[0]:F1}us  unnest: rows={rows[1]} per_row={cpu[1] / rows[1]:F1}us");
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        await File.AppendAllTextAsync(Path.Combine(Path.GetTempPath(), "ledger-write-cost.txt"), line + "\n", ct);
    }

    private static async Task<int> PostmasterPidAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SHOW data_directory", connection);
        var directory = (string)(await command.ExecuteScalarAsync())!;
        return int.Parse(File.ReadLines(Path.Combine(directory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
    }

    /// <summary>utime + stime of the postmaster and its live children, plus cutime + cstime of the postmaster (exited children).</summary>
    private static long PostgresCpuTicks(int postmaster)
    {
        long total = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            if (pid == postmaster || parent == postmaster)
            {
                total += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }

            if (pid == postmaster)
            {
                total += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }
}
