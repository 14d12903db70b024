using System.Collections.Concurrent;
using LlmGateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Tests.Admin.Security;

/// <summary>
/// The admin site alone, in-process on real Kestrel (loopback, free port), with no Api behind it: its management calls
/// go to the admin's own address and get a quick 404 (no retries), enough for sign-in, cookies and sessions. Every log
/// line it writes is kept in <see cref="Log"/>.
/// </summary>
public sealed class AdminHost : WebApplicationFactory<LlmGateway.Admin.Auth.AdminCredentials>
{
    public const string MasterKey = "sk-admin-test-master-key-0123456789abcdef";

    private readonly Dictionary<string, string?> settings;
    private readonly string environment;
    private readonly string? settingsFile;
    private string? ownKeyFolder;

    private AdminHost(Dictionary<string, string?> settings, string environment, string? settingsFile)
    {
        this.settings = settings;
        this.environment = environment;
        this.settingsFile = settingsFile;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<string> Log { get; } = new();

    /// <summary>
    /// Starts the admin; <paramref name="settings"/> override the defaults (a fresh key folder, the master key, no Api), and
    /// <paramref name="settingsFile"/>, a JSON file reloaded when it changes, overrides both (for rotating a secret live).
    /// </summary>
    public static Task<AdminHost> StartAsync(
        IReadOnlyDictionary<string, string?>? settings = null, string environment = "Testing", string? settingsFile = null)
    {
        var address = $"http://127.0.0.1:{LocalProcess.FreeTcpPort()}";
        var all = new Dictionary<string, string?>
        {
            ["urls"] = address,
            ["Gateway:MasterKey"] = MasterKey,
            ["Gateway:ApiBaseAddress"] = address,
            ["Admin:DataProtectionPath"] = Path.Combine(Path.GetTempPath(), $"llmgw-admin-keys-{Guid.NewGuid():N}"),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:LlmGateway"] = "Information",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var host = new AdminHost(all, environment, settingsFile);
        if (settings?.ContainsKey("Admin:DataProtectionPath") != true)
        {
            host.ownKeyFolder = all["Admin:DataProtectionPath"]; // the default folder is this host's alone: deleted with it
        }

        host.UseKestrel();
        host.StartServer();
        host.BaseAddress = new Uri(address);
        return Task.FromResult(host);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        DeleteKeyFolder(ownKeyFolder);
    }

    /// <summary>Deletes a data protection key folder a test made (it outlives the hosts that share it).</summary>
    public static void DeleteKeyFolder(string? folder)
    {
        if (folder is not null && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A browser-like client on the loopback address: keeps cookies, does not follow redirects (tests read them).</summary>
    public AdminBrowser CreateBrowser() => new(BaseAddress);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(new QueueLoggerProvider(Log)));
        if (settingsFile is not null)
        {
            builder.ConfigureAppConfiguration(configuration => configuration.AddJsonFile(settingsFile, optional: false, reloadOnChange: true));
        }
    }

    private sealed class QueueLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class QueueLogger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
    }
}
