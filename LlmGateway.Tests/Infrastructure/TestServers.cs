[assembly: AssemblyFixture(typeof(LlmGateway.Tests.Infrastructure.TestServers))]

namespace LlmGateway.Tests.Infrastructure;

/// <summary>
/// One real Postgres for the whole run (a fresh database per test class) and fresh Redis servers on demand.
/// Servers that already run can be given instead with <c>TEST_POSTGRES_CONNECTION</c> (a role that may create
/// databases) and <c>TEST_REDIS_CONNECTION</c>; then Redis is shared and tests keep apart by their own ids.
/// </summary>
public sealed class TestServers : IAsyncLifetime
{
    private readonly string? externalPostgres = Environment.GetEnvironmentVariable("TEST_POSTGRES_CONNECTION");
    private readonly string? externalRedis = Environment.GetEnvironmentVariable("TEST_REDIS_CONNECTION");
    private readonly List<RedisServer> redisServers = [];
    private PostgresServer? postgres;

    public async ValueTask InitializeAsync()
    {
        if (string.IsNullOrEmpty(externalPostgres))
        {
            postgres = await PostgresServer.StartNewAsync();
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"test_{Guid.NewGuid():N}";
        if (postgres is not null)
        {
            return await postgres.CreateDatabaseAsync(name);
        }

        await using var connection = new Npgsql.NpgsqlConnection(externalPostgres);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new Npgsql.NpgsqlConnectionStringBuilder(externalPostgres) { Database = name }.ConnectionString;
    }

    /// <summary>A Redis connection string: a fresh local server (owned by this fixture), or the shared external one.</summary>
    public async Task<string> CreateRedisAsync()
    {
        if (!string.IsNullOrEmpty(externalRedis))
        {
            return externalRedis;
        }

        var server = await RedisServer.StartNewAsync();
        lock (redisServers)
        {
            redisServers.Add(server);
        }

        return server.ConnectionString;
    }

    /// <summary>A Redis server the test controls (stop/start for outage tests) and must dispose.</summary>
    public static Task<RedisServer> StartOwnRedisAsync() => RedisServer.StartNewAsync();

    /// <summary>A Postgres server the test controls (stop/start for outage tests) and must dispose.</summary>
    public static Task<PostgresServer> StartOwnPostgresAsync() => PostgresServer.StartNewAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var server in redisServers)
        {
            await server.DisposeAsync();
        }

        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }
}
