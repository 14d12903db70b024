using System.Net;
using System.Net.Sockets;

namespace LlmGateway.AppHost.HostProcesses;

/// <summary>Finds the server binaries on this machine and free ports for them.</summary>
internal static class HostBinaries
{
    public static string FindPostgresBinDirectory()
    {
        var fromPath = FindOnPath("pg_ctl") ?? FindOnPath("initdb");
        if (fromPath is not null)
        {
            return Path.GetDirectoryName(fromPath)!;
        }

        // Debian keeps the server binaries out of PATH, one folder per major version: take the newest.
        const string debianRoot = "/usr/lib/postgresql";
        var newest = Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot)
                .Where(d => File.Exists(Path.Combine(d, "bin", "postgres")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return newest is not null
            ? Path.Combine(newest, "bin")
            : throw Missing("postgres", "postgresql");
    }

    public static string FindRedisServer() => FindOnPath("redis-server") ?? throw Missing("redis-server", "redis-server");

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static DistributedApplicationException Missing(string binary, string debianPackage) =>
        new($"'{binary}' was not found on this machine. Install it (Debian/Ubuntu: sudo apt-get install {debianPackage}), " +
            "or run with a container runtime, or set ConnectionStrings:gatewaydb and ConnectionStrings:redis to existing servers.");
}
