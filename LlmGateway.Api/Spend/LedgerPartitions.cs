using Npgsql;

namespace LlmGateway.Api.Spend;

/// <summary>
/// The catalog reads and DDL on <c>spend_logs</c>' monthly partitions. Every change is one transaction that first takes
/// the same transaction-level advisory lock, so replicas running the maintenance at once take turns, and re-checks the
/// catalog under it, so the second one finds the work done. Lock waits are bounded by <see cref="LockTimeout"/>:
/// an ATTACH or DROP queued behind a long report would otherwise queue the ledger's inserts behind itself.
/// </summary>
internal sealed class LedgerPartitions(NpgsqlConnection connection)
{
    public const string Table = "spend_logs";
    public static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(3);

    // Any fixed number shared by every replica; "LLMGLEDG" in ASCII.
    private const long AdvisoryLockKey = 0x4C4C_4D47_4C45_4447;

    /// <summary>False before the migration that partitions the ledger, or after it was rolled back.</summary>
    public async Task<bool> IsPartitionedAsync(CancellationToken ct) =>
        await ScalarAsync<bool?>("SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass('spend_logs')", null, ct) == true;

    /// <summary>The monthly partitions attached now (not the default, not tables of other names).</summary>
    public async Task<HashSet<LedgerMonth>> MonthsAsync(CancellationToken ct)
    {
        var months = new HashSet<LedgerMonth>();
        await using var command = new NpgsqlCommand(PartitionNamesSql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (LedgerMonth.TryParse(reader.GetString(0), out var month))
            {
                months.Add(month);
            }
        }

        return months;
    }

    /// <summary>The months of the rows in the default partition: each needs its own partition, or retention never sees them.</summary>
    public async Task<List<LedgerMonth>> MonthsInDefaultAsync(CancellationToken ct)
    {
        var months = new List<LedgerMonth>();
        if (await DefaultPartitionAsync(ct) is not { } defaultPartition)
        {
            return months;
        }

        await using var command = new NpgsqlCommand(
            $"SELECT DISTINCT date_trunc('month', start_time AT TIME ZONE 'UTC') FROM {defaultPartition}", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var start = reader.GetDateTime(0);
            months.Add(new LedgerMonth(start.Year, start.Month));
        }

        return months;
    }

    /// <summary>
    /// Creates the month's partition in one transaction: made apart, filled with the month's rows from the default
    /// partition, then attached (a partition cannot be created over a range the default partition holds rows of).
    /// Returns the rows moved, or null when another replica created it first.
    /// </summary>
    public async Task<long?> CreateAsync(LedgerMonth month, CancellationToken ct)
    {
        await using var transaction = await BeginLockedAsync(ct);
        if ((await MonthsAsync(ct)).Contains(month))
        {
            return null;
        }

        var name = month.PartitionName;
        var range = new[] { new NpgsqlParameter("start", month.Start.UtcDateTime), new NpgsqlParameter("end", month.End.UtcDateTime) };
        var defaultPartition = await DefaultPartitionAsync(ct);
        var move = defaultPartition is not null && await ScalarAsync<bool>(
            $"SELECT EXISTS (SELECT 1 FROM {defaultPartition} WHERE start_time >= @start AND start_time < @end)", Clone(range), ct);
        if (move)
        {
            // Readers and writers wait, then plan with the new partition: a query planned before it would scan only the
            // default partition and miss the moved rows. Rare: rows reach the default partition only when a month was missing.
            await ExecuteAsync($"LOCK TABLE {Table} IN ACCESS EXCLUSIVE MODE", ct);
        }

        await ExecuteAsync($"CREATE TABLE {name} (LIKE {Table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)", ct);
        long moved = 0;
        if (move)
        {
            var columns = await ScalarAsync<string>(ColumnListSql, null, ct);
            moved = await ScalarAsync<long>($"""
                WITH moved AS (
                    DELETE FROM {defaultPartition} WHERE start_time >= @start AND start_time < @end RETURNING {columns})
                , copied AS (INSERT INTO {name} ({columns}) SELECT {columns} FROM moved RETURNING 1)
                SELECT count(*) FROM copied
                """, Clone(range), ct);
        }

        // Fails, and rolls back, if a row of the month reached the default partition since the check: the next pass moves it.
        await ExecuteAsync(
            $"ALTER TABLE {Table} ATTACH PARTITION {name} FOR VALUES FROM ({LedgerMonth.Literal(month.Start)}) TO ({LedgerMonth.Literal(month.End)})", ct);
        await transaction.CommitAsync(ct);
        return moved;
    }

    /// <summary>Drops the month's partition, rows and all. False when it is no longer a partition of the ledger.</summary>
    public async Task<bool> DropAsync(LedgerMonth month, CancellationToken ct)
    {
        await using var transaction = await BeginLockedAsync(ct);
        if (!(await MonthsAsync(ct)).Contains(month))
        {
            return false;
        }

        await ExecuteAsync($"DROP TABLE {month.PartitionName}", ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    private async Task<NpgsqlTransaction> BeginLockedAsync(CancellationToken ct)
    {
        var transaction = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync($"SET LOCAL lock_timeout = '{(int)LockTimeout.TotalMilliseconds}ms'", ct);
        await ExecuteAsync($"SELECT pg_advisory_xact_lock({AdvisoryLockKey})", ct);
        return transaction;
    }

    /// <summary>The default partition's name, quoted as an identifier; null when there is none.</summary>
    private Task<string?> DefaultPartitionAsync(CancellationToken ct) =>
        ScalarAsync<string?>("SELECT partdefid::regclass::text FROM pg_partitioned_table WHERE partrelid = 'spend_logs'::regclass AND partdefid <> 0", null, ct);

    private static NpgsqlParameter[] Clone(NpgsqlParameter[] parameters) => [.. parameters.Select(p => p.Clone())];

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task<T> ScalarAsync<T>(string sql, NpgsqlParameter[]? parameters, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters ?? []);
        var value = await command.ExecuteScalarAsync(ct);
        return value is null or DBNull ? default! : (T)value;
    }

    private const string PartitionNamesSql = """
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'spend_logs'::regclass
        """;

    // The insert names its columns: a partition attached by hand may order them differently from the parent.
    private const string ColumnListSql = """
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
        WHERE attrelid = 'spend_logs'::regclass AND attnum > 0 AND NOT attisdropped
        """;
}
