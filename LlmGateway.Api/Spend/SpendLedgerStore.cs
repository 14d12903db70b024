using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace LlmGateway.Api.Spend;

/// <summary>
/// Writes usage events to <c>spend_logs</c>, one transaction per batch (<see cref="LedgerStaging"/>: binary COPY into a
/// temporary staging table, then <c>INSERT … SELECT … ON CONFLICT DO NOTHING</c> and the spend roll-up of the rows
/// actually inserted). The connections come from a small pool of the ledger's own, opened without the reset on return,
/// so each keeps its staging table for its whole life instead of creating one per batch.
/// </summary>
internal sealed class SpendLedgerStore(IServiceScopeFactory scopes, ILogger<SpendLedgerStore> logger) : IAsyncDisposable
{
    /// <summary>Upper bound of the ledger's own pool (the writer uses one connection; direct inserts while Redis is down use more).</summary>
    public const int MaxConnections = 16;

    private const int DeadlockRetries = 3;
    private readonly Lock gate = new();
    private NpgsqlDataSource? dataSource;

    /// <summary>Inserts the batch; returns how many rows were new and the events Postgres refused. Throws when Postgres does not answer.</summary>
    public async Task<LedgerWrite> InsertAsync(IReadOnlyList<UsageEvent> batch, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return new LedgerWrite(0, []);
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        await using var connection = await DataSource().OpenConnectionAsync(cts.Token);
        try
        {
            return new LedgerWrite(await WriteAsync(connection, batch, timeout, cts.Token), []);
        }
        catch (PostgresException ex) when (IsBadData(ex) && batch.Count == 1)
        {
            logger.LogError("Usage event {RequestId} was refused by Postgres ({SqlState}); set aside", batch[0].RequestId, ex.SqlState);
            return new LedgerWrite(0, batch);
        }
        catch (PostgresException ex) when (IsBadData(ex))
        {
            // One malformed event must not block the batch: write them one by one and set the bad ones aside.
            logger.LogWarning("A usage batch was refused ({SqlState}); writing its {Count} events one by one", ex.SqlState, batch.Count);
            var inserted = 0;
            var rejected = new List<UsageEvent>();
            foreach (var usage in batch)
            {
                try
                {
                    inserted += await WriteAsync(connection, [usage], timeout, cts.Token);
                }
                catch (PostgresException rowError) when (IsBadData(rowError))
                {
                    logger.LogError("Usage event {RequestId} was refused by Postgres ({SqlState}); set aside", usage.RequestId, rowError.SqlState);
                    rejected.Add(usage);
                }
            }

            return new LedgerWrite(inserted, rejected);
        }
    }

    public ValueTask DisposeAsync() => dataSource?.DisposeAsync() ?? ValueTask.CompletedTask;

    private static bool IsBadData(PostgresException ex) => ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState.StartsWith("23", StringComparison.Ordinal);

    /// <summary>The batch in one transaction; a deadlock or serialization failure (another replica's roll-up) is retried, the whole transaction having rolled back.</summary>
    private static async Task<int> WriteAsync(NpgsqlConnection connection, IReadOnlyList<UsageEvent> batch, TimeSpan timeout, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await LedgerStaging.WriteAsync(connection, batch, timeout, ct);
            }
            catch (PostgresException ex) when (attempt < DeadlockRetries && ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
            {
            }
        }
    }

    private NpgsqlDataSource DataSource()
    {
        lock (gate)
        {
            return dataSource ??= CreateDataSource();
        }
    }

    private NpgsqlDataSource CreateDataSource()
    {
        using var scope = scopes.CreateScope();
        var connectionString = scope.ServiceProvider.GetRequiredService<GatewayDbContext>().Database.GetConnectionString()
            ?? throw new InvalidOperationException("The gateway's database has no connection string");
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Nothing but the ledger's write runs on these connections, and it leaves them as it found them (the staging table
        // empty, no transaction); without the reset (DISCARD ALL) the staging table survives the return to the pool.
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        builder.ConnectionStringBuilder.MaxPoolSize = Math.Min(builder.ConnectionStringBuilder.MaxPoolSize, MaxConnections);
        builder.UsePhysicalConnectionInitializer(CreateStagingTable, CreateStagingTableAsync);
        return builder.Build();
    }

    private static void CreateStagingTable(NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand(LedgerStaging.CreateSql, connection);
        command.ExecuteNonQuery();
    }

    private static async Task CreateStagingTableAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(LedgerStaging.CreateSql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>What a batch insert did: rows that were new, and events Postgres refused even alone (bad data, never retried).</summary>
internal sealed record LedgerWrite(int Inserted, IReadOnlyList<UsageEvent> Rejected);
