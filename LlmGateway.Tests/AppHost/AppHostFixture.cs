using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Tests.AppHost;

/// <summary>
/// The whole application through the AppHost, in local-process mode (no container runtime needed),
/// with its Postgres state in a throwaway folder. Shared by the AppHost and browser tests.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The master key the AppHost hands to the Api and the admin in these tests.</summary>
    public const string MasterKey = "sk-apphost-test-master-key-0123456789";

    private readonly string stateDirectory = Path.Combine(Path.GetTempPath(), $"llmgw-apphost-{Guid.NewGuid():N}");

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>What the AppHost printed on its console.</summary>
    public AppHostLog HostLog { get; } = new();

    public async ValueTask InitializeAsync()
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LlmGateway_AppHost>(
            [
                "Infrastructure:Mode=processes",
                $"Infrastructure:StateDirectory={stateDirectory}",
                $"Parameters:master-key={MasterKey}",
            ],
            cts.Token);
        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        builder.Services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(HostLog);
        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("api", cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("admin", cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        try
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Postgres may still be releasing files; the folder is in /tmp
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
}
