using LlmGateway.Api;
using LlmGateway.Api.Data;
using LlmGateway.Api.Spend;
using LlmGateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace LlmGateway.Tests.Spend;

/// <summary>
/// A fresh database of the real test Postgres with the gateway's schema, for the ledger partition tests: no Api, just the
/// DbContext, the ledger's insert path and <see cref="LedgerPartitionMaintenance"/> at a "now" the test picks.
/// </summary>
internal sealed class LedgerDatabase : IAsyncDisposable
{
    /// <summary>The migration before <c>PartitionSpendLogsByMonth</c>: the plain ledger table.</summary>
    public const string BeforePartitioning = "20261124195423_ContentLogs";

    private readonly ServiceProvider services;

    private LedgerDatabase(string connectionString)
    {
        ConnectionString = connectionString;
        services = new ServiceCollection()
            .AddDbContext<GatewayDbContext>(options => options.UseNpgsql(connectionString).UseSnakeCaseNamingConvention())
            .BuildServiceProvider();
    }

    public string ConnectionString { get; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new database migrated to <paramref name="migration"/> (null: the latest).</summary>
    public static async Task<LedgerDatabase> CreateAsync(TestServers servers, string? migration = null)
    {
        var database = new LedgerDatabase(await servers.CreateDatabaseAsync());
        await database.MigrateAsync(migration);
        return database;
    }

    public async Task MigrateAsync(string? migration = null)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        await db.GetService<IMigrator>().MigrateAsync(migration, Ct);
    }

    /// <summary>A context of its own (its own connection), as a request of the Api would have.</summary>
    public GatewayDbContext CreateDbContext() =>
        new(new DbContextOptionsBuilder<GatewayDbContext>().UseNpgsql(ConnectionString).UseSnakeCaseNamingConvention().Options);

    /// <summary>The maintenance of one replica, at a fixed "now".</summary>
    public LedgerPartitionMaintenance Maintenance(DateTimeOffset now, int monthsAhead = 3, int retentionMonths = 0) =>
        new(services.GetRequiredService<IServiceScopeFactory>(), new GatewayReadiness { SchemaReady = true }, new FakeTimeProvider(now),
            Options.Create(new SpendLedgerOptions { PartitionMonthsAhead = monthsAhead, RetentionMonths = retentionMonths }),
            NullLogger<LedgerPartitionMaintenance>.Instance);

    /// <summary>Inserts through the ledger's own insert path (<c>ON CONFLICT (request_id, start_time) DO NOTHING</c>).</summary>
    public async Task<int> InsertAsync(IReadOnlyList<UsageEvent> events)
    {
        await using var store = Store();
        var write = await store.InsertAsync(events, TimeSpan.FromSeconds(30), Ct);
        Assert.Empty(write.Rejected);
        return write.Inserted;
    }

    /// <summary>The ledger store of one replica (each has its own connections), as the Api's writer uses it.</summary>
    public SpendLedgerStore Store() =>
        new(services.GetRequiredService<IServiceScopeFactory>(), NullLogger<SpendLedgerStore>.Instance);

    /// <summary>A team and one of its keys, whose spend the ledger's roll-up adds to.</summary>
    public Task SeedTeamAndKeyAsync(string teamId, string keyHash) => SpendTestData.SeedTeamAndKeyAsync(services, teamId, keyHash);

    /// <summary>
    /// Inserts through today's insert path into the ledger of <see cref="BeforePartitioning"/>, which lacks the columns
    /// later migrations add: they are added for the insert and dropped again, so the migrations that follow find the old table.
    /// </summary>
    public async Task<int> InsertBeforePartitioningAsync(IReadOnlyList<UsageEvent> events)
    {
        await ExecuteAsync("""
            ALTER TABLE spend_logs ADD COLUMN cache_creation_input_tokens bigint NOT NULL DEFAULT 0,
                ADD COLUMN cache_creation_1h_input_tokens bigint NOT NULL DEFAULT 0
            """);
        var inserted = await InsertAsync(events);
        await ExecuteAsync("ALTER TABLE spend_logs DROP COLUMN cache_creation_input_tokens, DROP COLUMN cache_creation_1h_input_tokens");
        return inserted;
    }

    /// <summary>One usage event per start time, with a spend that tells them apart.</summary>
    public static List<UsageEvent> Events(params string[] startTimes) =>
        startTimes.Select((start, i) => SpendTestData.Usage($"req-{i}-{start}", spend: 0.001m * (i + 1), start: DateTimeOffset.Parse(start,
            System.Globalization.CultureInfo.InvariantCulture))).ToList();

    /// <summary>The ledger's partitions (and, for a plain table, nothing), by name.</summary>
    public async Task<List<string>> PartitionsAsync()
    {
        var names = new List<string>();
        await QueryAsync("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'spend_logs'::regclass ORDER BY 1
            """, reader => names.Add(reader.GetString(0)));
        return names;
    }

    /// <summary>Rows and spend per partition holding them.</summary>
    public async Task<Dictionary<string, (long Rows, decimal Spend)>> RowsByPartitionAsync()
    {
        var rows = new Dictionary<string, (long, decimal)>();
        await QueryAsync("SELECT tableoid::regclass::text, count(*), sum(spend) FROM spend_logs GROUP BY 1",
            reader => rows[reader.GetString(0)] = (reader.GetInt64(1), reader.GetDecimal(2)));
        return rows;
    }

    public Task<(long Rows, decimal Spend)> TotalsAsync() =>
        ScalarAsync<(long, decimal)>("SELECT count(*), coalesce(sum(spend), 0) FROM spend_logs", reader => (reader.GetInt64(0), reader.GetDecimal(1)));

    /// <summary>"r" for a plain table, "p" for a partitioned one.</summary>
    public Task<string> KindAsync() =>
        ScalarAsync("SELECT relkind::text FROM pg_class WHERE oid = 'spend_logs'::regclass", reader => reader.GetString(0));

    public async Task<List<string>> IndexesAsync()
    {
        var names = new List<string>();
        await QueryAsync("SELECT indexname FROM pg_indexes WHERE tablename = 'spend_logs' ORDER BY 1", reader => names.Add(reader.GetString(0)));
        return names;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private async Task<T> ScalarAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        var values = new List<T>();
        await QueryAsync(sql, reader => values.Add(read(reader)));
        return Assert.Single(values);
    }

    private async Task QueryAsync(string sql, Action<NpgsqlDataReader> row)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            row(reader);
        }
    }

    public ValueTask DisposeAsync() => services.DisposeAsync();
}
