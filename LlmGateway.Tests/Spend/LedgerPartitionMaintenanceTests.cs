using LlmGateway.Api;
using LlmGateway.Api.Spend;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LlmGateway.Tests.Spend;

/// <summary><see cref="LedgerPartitionMaintenance"/> on a real Postgres, at a "now" each test picks.</summary>
public sealed class LedgerPartitionMaintenanceTests(TestServers servers)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static LedgerMonth Month(string yearMonth) => LedgerMonth.Of(DateTimeOffset.Parse(yearMonth + "-01T00:00:00Z"));

    private static string[] Names(IEnumerable<LedgerMonth> months) => months.Select(m => m.PartitionName).ToArray();

    [Fact]
    public async Task APassCreatesTheCurrentMonthAndTheMonthsAheadAndRowsLandInTheirMonth()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers);

        var pass = await database.Maintenance(DateTimeOffset.Parse("2027-03-10T12:00:00Z"), monthsAhead: 3).RunOnceAsync(Ct);

        Assert.Equal(["spend_logs_2027_03", "spend_logs_2027_04", "spend_logs_2027_05", "spend_logs_2027_06"], Names(pass.Created));
        Assert.Empty(pass.Dropped);
        await database.InsertAsync(LedgerDatabase.Events("2027-06-30T23:59:59.999Z", "2027-07-01T00:00:00Z"));
        var rows = await database.RowsByPartitionAsync();
        Assert.Equal(1L, rows["spend_logs_2027_06"].Rows);
        Assert.Equal(1L, rows["spend_logs_default"].Rows);
    }

    [Fact]
    public async Task RowsThatLandedInTheDefaultPartitionMoveIntoTheirOwnMonth()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers);
        var events = LedgerDatabase.Events("2027-08-01T00:00:00Z", "2027-08-15T10:00:00Z", "2027-08-31T23:59:59Z", "2024-05-05T05:05:05Z", "2024-05-31T00:00:00Z");
        await database.InsertAsync(events);
        var before = await database.TotalsAsync();
        Assert.Equal(5L, (await database.RowsByPartitionAsync())["spend_logs_default"].Rows);

        // The trap: a month's partition cannot simply be created while the default partition holds rows of that month.
        var trap = await Assert.ThrowsAsync<PostgresException>(() => database.ExecuteAsync(
            "CREATE TABLE spend_logs_2027_08 PARTITION OF spend_logs FOR VALUES FROM ('2027-08-01 00:00:00+00') TO ('2027-09-01 00:00:00+00')"));
        Assert.Equal(PostgresErrorCodes.CheckViolation, trap.SqlState);

        var pass = await database.Maintenance(DateTimeOffset.Parse("2027-06-15T00:00:00Z"), monthsAhead: 3).RunOnceAsync(Ct);

        Assert.Equal(["spend_logs_2024_05", "spend_logs_2027_06", "spend_logs_2027_07", "spend_logs_2027_08", "spend_logs_2027_09"], Names(pass.Created));
        Assert.Equal(5L, pass.RowsMoved);
        Assert.Equal(before, await database.TotalsAsync());
        var rows = await database.RowsByPartitionAsync();
        Assert.Equal((3L, events.Take(3).Sum(e => e.Spend)), rows["spend_logs_2027_08"]);
        Assert.Equal((2L, events.Skip(3).Sum(e => e.Spend)), rows["spend_logs_2024_05"]);
        Assert.False(rows.ContainsKey("spend_logs_default"));
        Assert.Contains("spend_logs_default", await database.PartitionsAsync());
    }

    [Fact]
    public async Task QueriesRunningWhileRowsMoveOutOfTheDefaultPartitionStillSeeEveryRow()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await using var database = await LedgerDatabase.CreateAsync(servers);
            await database.InsertAsync(LedgerDatabase.Events("2024-03-01T10:00:00Z", "2024-03-02T09:00:00Z", "2024-03-03T08:00:00Z", "2024-03-31T09:00:00Z"));
            var pass = database.Maintenance(DateTimeOffset.Parse("2027-01-10T00:00:00Z")).RunOnceAsync(Ct);
            var seen = await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
            {
                await using var db = database.CreateDbContext();
                var filter = new SpendFilter { Start = DateTimeOffset.Parse("2024-03-02T00:00:00Z"), End = DateTimeOffset.Parse("2024-03-04T00:00:00Z") };
                var counts = new List<long>();
                while (!pass.IsCompleted || counts.Count < 3)
                {
                    counts.Add(await SpendLogStream.CountAsync(db, filter, Ct));
                }

                return counts;
            }));

            Assert.Equal(4L, (await pass).RowsMoved);
            Assert.All(seen.SelectMany(counts => counts), count => Assert.Equal(2L, count));
        }
    }

    [Fact]
    public async Task RetentionDropsOnlyMonthsThatEndedLongerAgoThanTheSetting()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers);
        // One row at the first and one at the last instant of every month from 2025-01 to 2026-08.
        var months = Enumerable.Range(0, 20).Select(Month("2025-01").AddMonths).ToList();
        var events = LedgerDatabase.Events(months.SelectMany(m => new[] { m.Start.ToString("O"), m.End.AddTicks(-10).ToString("O") }).ToArray());
        await database.InsertAsync(events);
        var now = DateTimeOffset.Parse("2026-08-15T00:00:00Z");

        var keepAll = await database.Maintenance(now, retentionMonths: 0).RunOnceAsync(Ct);
        Assert.Empty(keepAll.Dropped);
        Assert.Equal(((long)events.Count, events.Sum(e => e.Spend)), await database.TotalsAsync());

        var pass = await database.Maintenance(now, retentionMonths: 13).RunOnceAsync(Ct);

        // 13 months before 2026-08-15 is 2025-07-15: June 2025 ended before it, July 2025 did not.
        Assert.Equal(Names(months.Where(m => m.CompareTo(Month("2025-06")) <= 0)), Names(pass.Dropped));
        var cutoff = DateTimeOffset.Parse("2025-07-15T00:00:00Z");
        var kept = events.Where(e => e.StartTime >= Month("2025-07").Start).ToList();
        Assert.Equal(((long)kept.Count, kept.Sum(e => e.Spend)), await database.TotalsAsync());
        Assert.All(events.Where(e => e.StartTime >= cutoff), e => Assert.Contains(e, kept));
        var partitions = await database.PartitionsAsync();
        Assert.Contains("spend_logs_default", partitions);
        Assert.Contains("spend_logs_2025_07", partitions);
        Assert.Contains("spend_logs_2026_08", partitions);
        Assert.Contains("spend_logs_2026_11", partitions);

        var again = await database.Maintenance(now, retentionMonths: 13).RunOnceAsync(Ct);
        Assert.Empty(again.Created);
        Assert.Empty(again.Dropped);
    }

    [Fact]
    public async Task RetentionNeverDropsTheCurrentMonthOrTheDefaultPartition()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers);
        var now = DateTimeOffset.Parse("2027-01-01T00:00:00Z");
        await database.InsertAsync(LedgerDatabase.Events("2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z", "2099-01-01T00:00:00Z"));

        var pass = await database.Maintenance(now, monthsAhead: 0, retentionMonths: 1).RunOnceAsync(Ct);

        Assert.DoesNotContain(pass.Dropped, m => m.CompareTo(Month("2026-12")) >= 0);
        var partitions = await database.PartitionsAsync();
        Assert.Contains("spend_logs_default", partitions);
        Assert.Contains("spend_logs_2026_12", partitions);
        Assert.Contains("spend_logs_2027_01", partitions);
        Assert.Contains("spend_logs_2099_01", partitions);
        Assert.Equal(3L, (await database.TotalsAsync()).Rows);
    }

    [Fact]
    public async Task TwoReplicasRunningAPassAtOnceDoEachChangeOnce()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers);
        var events = LedgerDatabase.Events("2024-02-10T00:00:00Z", "2024-03-10T00:00:00Z", "2027-05-20T00:00:00Z", "2027-05-21T00:00:00Z");
        await database.InsertAsync(events);
        var now = DateTimeOffset.Parse("2027-04-02T00:00:00Z");
        // Each replica has its own connection; the old months are created from the default partition, then dropped.
        var replicas = new[] { database.Maintenance(now, retentionMonths: 24), database.Maintenance(now, retentionMonths: 24) };

        var passes = await Task.WhenAll(replicas.Select(r => r.RunOnceAsync(Ct)));

        var created = passes.SelectMany(p => p.Created).Order().ToList();
        Assert.Equal(Names(created.Distinct()), Names(created));
        Assert.Equal(["spend_logs_2024_02", "spend_logs_2024_03", "spend_logs_2027_04", "spend_logs_2027_05", "spend_logs_2027_06", "spend_logs_2027_07"],
            Names(created));
        Assert.Equal(4L, passes.Sum(p => p.RowsMoved));
        var dropped = passes.SelectMany(p => p.Dropped).Order().ToList();
        Assert.Equal(["spend_logs_2024_02", "spend_logs_2024_03"], Names(dropped));
        Assert.Equal((2L, events.Skip(2).Sum(e => e.Spend)), await database.TotalsAsync());
        Assert.Equal(2L, (await database.RowsByPartitionAsync())["spend_logs_2027_05"].Rows);

        var third = await replicas[0].RunOnceAsync(Ct);
        Assert.Empty(third.Created);
        Assert.Empty(third.Dropped);
    }

    [Fact]
    public async Task TheApiKeepsThePartitionsAheadFromStartUp()
    {
        var dataDirectory = SpendTestData.NewDataDirectory();
        var connection = await servers.CreateDatabaseAsync();
        await using (var api = await GatewayApiHost.StartAsync(connection, await servers.CreateRedisAsync(),
            SpendTestData.Settings(dataDirectory, ("Gateway:Spend:PartitionMonthsAhead", "2"))))
        {
            var wanted = Enumerable.Range(0, 3).Select(LedgerMonth.Of(DateTimeOffset.UtcNow).AddMonths).Select(m => m.PartitionName).ToList();
            await LocalProcess.WaitUntilAsync(async () =>
            {
                var partitions = await SpendTestData.ScalarAsync<string[]>(connection,
                    "SELECT array_agg(c.relname::text) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'spend_logs'::regclass");
                return wanted.All(partitions.Contains);
            }, TimeSpan.FromSeconds(30), "the partitions ahead");
        }

        SpendTestData.DeleteDirectory(dataDirectory);
    }

    [Theory]
    [InlineData("RetentionMonths", "-1")]
    [InlineData("PartitionMonthsAhead", "37")]
    [InlineData("PartitionMaintenanceInterval", "00:00:00")]
    public void OutOfRangePartitionSettingsStopStartUpNamingTheSetting(string setting, string value)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new($"Gateway:Spend:{setting}", value)]);
        builder.AddSpendLedger();
        using var host = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<SpendLedgerOptions>>().Value);
        Assert.Contains(setting, error.Message);
    }
}
