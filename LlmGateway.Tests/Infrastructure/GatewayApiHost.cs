using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Tests.Infrastructure;

/// <summary>
/// The Api in-process on real Kestrel (loopback, free port), wired to a real Postgres database and Redis.
/// Two hosts over the same database and Redis are two replicas.
/// </summary>
public sealed class GatewayApiHost : WebApplicationFactory<LlmGateway.Api.GatewayReadiness>
{
    public const string MasterKey = "sk-test-master-key-0123456789abcdef";

    private readonly IReadOnlyDictionary<string, string?> settings;
    private readonly Action<IServiceCollection>? services;

    /// <summary>The usage spool's folder this host made for itself (null when the test chose one).</summary>
    private string? ownDataDirectory;

    private GatewayApiHost(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services)
    {
        this.settings = settings;
        this.services = services;
    }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Starts an Api; <paramref name="settings"/> are configuration keys (e.g. <c>Gateway:ConfigFile</c>) on top of the stores and the master key.</summary>
    public static async Task<GatewayApiHost> StartAsync(
        string databaseConnection, string redisConnection, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:gatewaydb"] = databaseConnection,
            ["ConnectionStrings:redis"] = redisConnection,
            ["Gateway:MasterKey"] = MasterKey,
            // Outage tests stop Redis and Postgres on purpose: keep their reconnect chatter out of the test log.
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:StackExchange.Redis"] = "None",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "None",
            ["Logging:LogLevel:Npgsql"] = "None",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        // Every replica has its own usage spool. A host without one chosen by its test gets a fresh folder: the
        // default (next to the binaries) is shared by every test in the run, and one test's spooled usage was then
        // replayed into another test's ledger and counters.
        string? ownDataDirectory = null;
        if (!all.ContainsKey("Gateway:DataDirectory"))
        {
            all["Gateway:DataDirectory"] = ownDataDirectory = Spend.SpendTestData.NewDataDirectory();
        }

        var host = new GatewayApiHost(all, services) { ownDataDirectory = ownDataDirectory };
        host.UseKestrel();
        host.StartServer();
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        host.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1"));
        await host.WaitUntilReadyAsync();
        return host;
    }

    /// <summary>An HttpClient on the real loopback address (not the in-memory test server).</summary>
    public HttpClient CreateLoopbackClient(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", bearer);
        }

        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // UseSetting feeds host configuration, which minimal-hosting Program code sees before it builds.
        builder.UseSetting("urls", "http://127.0.0.1:0");
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (services is not null)
        {
            builder.ConfigureTestServices(services); // e.g. a command interceptor that counts Postgres queries
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (ownDataDirectory is not null)
        {
            Spend.SpendTestData.DeleteDirectory(ownDataDirectory);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = CreateLoopbackClient();
        await LocalProcess.WaitUntilAsync(async () =>
        {
            try
            {
                using var response = await client.GetAsync("/health/readiness");
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "The Api's readiness");
    }
}
