using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.AppHost.HostProcesses;

/// <summary>A Postgres server run from the machine's own binaries: the <c>postgres</c> resource when no container runtime answers.</summary>
internal sealed class LocalPostgresResource(string name, string command, string workingDirectory, string dataDirectory, int port, string password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public int Port => port;

    public string DataDirectory => dataDirectory;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host=127.0.0.1;Port={port.ToString()};Username=postgres;Password={password}");
}

internal static class LocalPostgres
{
    private const string ServiceAccount = "postgres";

    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, string stateDirectory, string database)
    {
        var binDirectory = HostBinaries.FindPostgresBinDirectory();
        var home = ChooseHome(Path.Combine(stateDirectory, "postgres"));
        var dataDirectory = Path.Combine(home, "data");
        var password = builder.ExecutionContext.IsRunMode ? EnsureInitialized(binDirectory, home, dataDirectory) : "";
        var port = HostBinaries.FreeTcpPort();

        // Postgres refuses to run as root: run it under the unprivileged account Debian's package creates.
        // Postgres logs everything to stderr, which the dashboard would show as errors: a shell sends it to stdout.
        var postgresBinary = Path.Combine(binDirectory, "postgres");
        string[] run = HostCommand.IsRoot ? ["runuser", "-u", ServiceAccount, "--", postgresBinary] : [postgresBinary];
        const string command = "/bin/sh";
        string[] prefix = ["-c", "exec \"$@\" 2>&1", "postgres", .. run];

        var resource = new LocalPostgresResource(name, command, home, dataDirectory, port, password);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey,
            _ => new GatewayDatabaseCheck($"Host=127.0.0.1;Port={port};Username=postgres;Password={password};Timeout=3;Pooling=false", database),
            failureStatus: null, tags: null));

        builder.Services.AddSingleton(resource);
        builder.Services.AddHostedService<OrderlyShutdown>();
        return builder.AddResource(resource)
            .WithArgs([.. prefix, "-D", dataDirectory, "-p", port.ToString(), "-h", "127.0.0.1", "-k", home, "-c", "max_connections=300"])
            .WithEndpoint("tcp", e =>
            {
                e.Port = port;
                e.TargetPort = port;
                e.IsProxied = false;
                e.UriScheme = "tcp";
            })
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Database")
            .ExcludeFromManifest();
    }

    /// <summary>initdb on first run, with a generated password kept beside the data (mode 600). Returns the password.</summary>
    private static string EnsureInitialized(string binDirectory, string home, string dataDirectory)
    {
        var passwordFile = Path.Combine(home, "password");
        if (File.Exists(Path.Combine(dataDirectory, "PG_VERSION")) && File.Exists(passwordFile))
        {
            return File.ReadAllText(passwordFile).Trim();
        }

        Directory.CreateDirectory(home);
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true); // a half-finished initdb from an interrupted run
        }

        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        File.WriteAllText(passwordFile, password, Encoding.ASCII);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        string[] initdb = [Path.Combine(binDirectory, "initdb"), "-D", dataDirectory, "-U", "postgres", "-E", "UTF8",
            "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", $"--pwfile={passwordFile}"];
        if (HostCommand.IsRoot)
        {
            HostCommand.Run("chown", "-R", $"{ServiceAccount}:", home);
            HostCommand.Run("runuser", ["-u", ServiceAccount, "--", .. initdb]);
        }
        else
        {
            HostCommand.Run(initdb[0], initdb[1..]);
        }

        return password;
    }

    /// <summary>The state folder, unless the service account cannot reach it (e.g. a clone under /root): then a folder under /var/tmp.</summary>
    private static string ChooseHome(string preferred)
    {
        if (!HostCommand.IsRoot)
        {
            return preferred;
        }

        Directory.CreateDirectory(preferred);
        try
        {
            HostCommand.Run("chown", $"{ServiceAccount}:", preferred);
            HostCommand.Run("runuser", "-u", ServiceAccount, "--", "test", "-w", preferred);
            return preferred;
        }
        catch (DistributedApplicationException)
        {
            var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(preferred)))[..12].ToLowerInvariant();
            var fallback = Path.Combine("/var/tmp", $"llmgateway-{hash}", "postgres");
            Directory.CreateDirectory(fallback);
            HostCommand.Run("chown", "-R", $"{ServiceAccount}:", Path.GetDirectoryName(fallback)!);
            return fallback;
        }
    }
}
