using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace LlmGateway.Tests.AppHost;

/// <summary>Stopping the AppHost, as a developer does all day: Postgres must be left in a state that needs no recovery.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task StoppingTheAppHostShutsPostgresDownCleanly()
    {
        var stateDirectory = Path.Combine(Path.GetTempPath(), $"llmgw-shutdown-{Guid.NewGuid():N}");
        try
        {
            await using (var app = await StartAsync(stateDirectory))
            {
                await app.StopAsync(TestContext.Current.CancellationToken);
            }

            // A fast (or smart) shutdown writes "shut down" to pg_control; a killed server leaves "in production",
            // and the next start logs "database system was not properly shut down; automatic recovery in progress".
            var control = await ControlDataAsync(Path.Combine(stateDirectory, "postgres", "data"));
            Assert.Matches(@"Database cluster state:\s+shut down\s", control);
        }
        finally
        {
            try
            {
                Directory.Delete(stateDirectory, recursive: true);
            }
            catch (IOException)
            {
                // in /tmp; Postgres may still be releasing files
            }
        }
    }

    private static async Task<DistributedApplication> StartAsync(string stateDirectory)
    {
        using var cts = new CancellationTokenSource(AppHostFixture.StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LlmGateway_AppHost>(
            ["Infrastructure:Mode=processes", $"Infrastructure:StateDirectory={stateDirectory}", $"Parameters:master-key={AppHostFixture.MasterKey}"],
            cts.Token);
        var app = await builder.BuildAsync(cts.Token);
        await app.StartAsync(cts.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("api", cts.Token);
        return app;
    }

    private static async Task<string> ControlDataAsync(string dataDirectory)
    {
        var tool = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pg_controldata")).Where(File.Exists)
            .OrderDescending().FirstOrDefault() ?? "pg_controldata";
        using var process = Process.Start(new ProcessStartInfo(tool, [dataDirectory]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return output;
    }
}
