using LlmGateway.Api.Spend;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Spend;

/// <summary>The migration <c>PartitionSpendLogsByMonth</c>, up and down, on an empty ledger and on one with rows.</summary>
public sealed class LedgerPartitionMigrationTests(TestServers servers)
{
    private static readonly string[] KeyAndIndexesBeforePartitioning =
    [
        "ix_spend_logs_api_key_start_time", "ix_spend_logs_model_group_start_time", "ix_spend_logs_request_tags",
        "ix_spend_logs_start_time", "ix_spend_logs_team_id_start_time", "pk_spend_logs",
    ];

    /// <summary>Since <c>CustomersAndBudgets</c>, also the end customer's index (its budget is seeded from the ledger).</summary>
    private static readonly string[] KeyAndIndexes = [.. KeyAndIndexesBeforePartitioning.Append("ix_spend_logs_end_user_start_time").Order(StringComparer.Ordinal)];

    // Rows over five months, with the first and last instants of a month (UTC) among them.
    private static readonly string[] StartTimes =
    [
        "2025-11-03T10:00:00Z", "2025-12-31T23:59:59.999Z", "2026-01-01T00:00:00Z", "2026-01-15T12:30:00Z",
        "2026-01-31T23:59:59.999999Z", "2026-02-01T00:00:00Z", "2026-02-28T08:00:00+09:00", "2026-04-10T00:00:00Z",
    ];

    [Fact]
    public async Task AFreshDatabaseGetsAPartitionedLedgerWithADefaultPartitionAndTheCurrentMonth()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers);

        Assert.Equal("p", await database.KindAsync());
        var partitions = await database.PartitionsAsync();
        Assert.Contains("spend_logs_default", partitions);
        Assert.Contains(LedgerMonth.Of(DateTimeOffset.UtcNow).PartitionName, partitions);
        Assert.Equal(KeyAndIndexes, await database.IndexesAsync());
    }

    [Fact]
    public async Task RowsSpreadOverMonthsMoveIntoTheirMonthsPartitionIntactAndBackAgain()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers, LedgerDatabase.BeforePartitioning);
        var events = LedgerDatabase.Events(StartTimes);
        Assert.Equal(events.Count, await database.InsertBeforePartitioningAsync(events));
        var before = await database.TotalsAsync();
        Assert.Equal("r", await database.KindAsync());

        await database.MigrateAsync();

        Assert.Equal("p", await database.KindAsync());
        Assert.Equal(before, await database.TotalsAsync());
        var expected = events.GroupBy(e => LedgerMonth.Of(e.StartTime).PartitionName)
            .ToDictionary(g => g.Key, g => ((long)g.Count(), g.Sum(e => e.Spend)));
        Assert.Equal(expected, await database.RowsByPartitionAsync());
        Assert.Equal(["spend_logs_2025_11", "spend_logs_2025_12", "spend_logs_2026_01", "spend_logs_2026_02", "spend_logs_2026_04"],
            (await database.PartitionsAsync()).Where(p => string.CompareOrdinal(p, "spend_logs_2026_05") < 0));
        Assert.Equal(KeyAndIndexes, await database.IndexesAsync());

        // The key still refuses a replayed event, and new rows route to their month.
        Assert.Equal(0, await database.InsertAsync([events[3]]));
        Assert.Equal(1, await database.InsertAsync(LedgerDatabase.Events("2026-02-14T09:00:00Z")));
        Assert.Equal(3L, (await database.RowsByPartitionAsync())["spend_logs_2026_02"].Rows);

        await database.MigrateAsync(LedgerDatabase.BeforePartitioning);

        Assert.Equal("r", await database.KindAsync());
        Assert.Empty(await database.PartitionsAsync());
        Assert.Equal((before.Rows + 1, before.Spend + 0.001m), await database.TotalsAsync());
        Assert.Equal(KeyAndIndexesBeforePartitioning, await database.IndexesAsync());

        await database.MigrateAsync();
        Assert.Equal("p", await database.KindAsync());
        Assert.Equal((before.Rows + 1, before.Spend + 0.001m), await database.TotalsAsync());
    }

    [Fact]
    public async Task TheSpendQueriesReadThePartitionedLedgerAcrossMonths()
    {
        await using var database = await LedgerDatabase.CreateAsync(servers, LedgerDatabase.BeforePartitioning);
        await database.InsertBeforePartitioningAsync(LedgerDatabase.Events(StartTimes));
        await database.MigrateAsync();

        await using var db = database.CreateDbContext();
        var filter = new SpendFilter { Start = DateTimeOffset.Parse("2025-12-31T00:00:00Z"), End = DateTimeOffset.Parse("2026-02-01T00:00:00Z") };
        var logs = await SpendLogStream.CountAsync(db, filter, TestContext.Current.CancellationToken);
        var days = await SpendLedgerQueries.DailyAsync(db, filter, TestContext.Current.CancellationToken);

        Assert.Equal(4L, logs);
        Assert.Equal(["2025-12-31", "2026-01-01", "2026-01-15", "2026-01-31"], days.Select(d => d.StartTime));
        Assert.Equal(StartTimes.Length, (await SpendLedgerQueries.SummaryAsync(db, new SpendFilter(), "team", TestContext.Current.CancellationToken)).Single().Requests);
    }
}
