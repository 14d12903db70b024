using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace LlmGateway.AppHost.HostProcesses;

/// <summary>
/// The local Postgres's health check, which also creates the gateway's database: the Api waits for this check, so its
/// first connection finds the database instead of logging an error while Postgres logs <c>database does not exist</c>.
/// </summary>
internal sealed class GatewayDatabaseCheck(string serverConnectionString, string database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = new NpgsqlConnection(serverConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
            exists.Parameters.AddWithValue("name", database);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                // An identifier cannot be a parameter; the name is the AppHost's own constant, quoted.
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"")}\"", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, ex.Message, ex);
        }
    }
}
