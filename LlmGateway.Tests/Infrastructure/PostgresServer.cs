using System.Diagnostics;
using Npgsql;

namespace LlmGateway.Tests.Infrastructure;

/// <summary>
/// A throwaway Postgres on a free loopback port, run from the machine's binaries (as the <c>postgres</c>
/// account when the tests run as root, since Postgres refuses root). It can be stopped and started again
/// on the same data, for outage tests.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string binDirectory;
    private readonly string home;
    private Process? process;

    private PostgresServer(string binDirectory, string home, int port)
    {
        this.binDirectory = binDirectory;
        this.home = home;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Connection string to the maintenance database.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Password=postgres;Timeout=5;Command Timeout=30";

    public static async Task<PostgresServer> StartNewAsync()
    {
        var home = Path.Combine(Path.GetTempPath(), $"llmgw-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(home);
        var server = new PostgresServer(FindBinDirectory(), home, LocalProcess.FreeTcpPort());
        string[] initdb = [Path.Combine(server.binDirectory, "initdb"), "-D", server.DataDirectory, "-U", "postgres",
            "-E", "UTF8", "--locale=C", "--auth=trust", "--no-sync"];
        if (LocalProcess.IsRoot)
        {
            await LocalProcess.RunAsync("chown", ["-R", "postgres:", home], TimeSpan.FromSeconds(30));
            await LocalProcess.RunAsync("runuser", ["-u", "postgres", "--", .. initdb], TimeSpan.FromMinutes(2));
        }
        else
        {
            await LocalProcess.RunAsync(initdb[0], initdb[1..], TimeSpan.FromMinutes(2));
        }

        await server.StartAsync();
        return server;
    }

    private string DataDirectory => Path.Combine(home, "data");

    public async Task StartAsync()
    {
        string[] command = [Path.Combine(binDirectory, "postgres"), "-D", DataDirectory, "-p", Port.ToString(),
            "-h", "127.0.0.1", "-k", home, "-c", "max_connections=1000", "-c", "fsync=off",
            "-c", "synchronous_commit=off", "-c", "full_page_writes=off"];
        process = LocalProcess.IsRoot
            ? LocalProcess.StartServer("runuser", ["-u", "postgres", "--", .. command])
            : LocalProcess.StartServer(command[0], command[1..]);
        await LocalProcess.WaitUntilAsync(CanQueryAsync, TimeSpan.FromSeconds(60), $"Postgres on port {Port}");
    }

    /// <summary>Stops the server the hard way (as an outage would).</summary>
    public async Task StopAsync()
    {
        LocalProcess.Stop(process);
        process = null;
        // Postgres children exit once the postmaster is gone; wait for the port to close.
        await LocalProcess.WaitUntilAsync(async () => !await CanQueryAsync(), TimeSpan.FromSeconds(30), "Postgres shutdown");
        File.Delete(Path.Combine(DataDirectory, "postmaster.pid"));
    }

    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return $"{ConnectionString};Database={name}";
    }

    private async Task<bool> CanQueryAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
            await connection.OpenAsync();
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return false;
        }
    }

    private static string FindBinDirectory()
    {
        var onPath = LocalProcess.FindOnPath("initdb");
        if (onPath is not null)
        {
            return Path.GetDirectoryName(onPath)!;
        }

        const string debianRoot = "/usr/lib/postgresql";
        return Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot)
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin"))
                .First(d => File.Exists(Path.Combine(d, "postgres")))
            : throw new InvalidOperationException("Postgres is not installed: apt-get install postgresql (or run ./test.sh, which does)");
    }

    public async ValueTask DisposeAsync()
    {
        LocalProcess.Stop(process);
        await Task.Delay(100);
        try
        {
            Directory.Delete(home, recursive: true);
        }
        catch (IOException)
        {
            // a straggling child may still hold a file; /tmp is cleaned eventually
        }
    }
}
