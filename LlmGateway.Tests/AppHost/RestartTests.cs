using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Tests.AppHost;

/// <summary>Stopping the AppHost and starting it again on the same state folder, as a developer does all day.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task PostgresIsShutDownCleanlySoTheNextStartNeedsNoRecovery()
    {
        var stateDirectory = Path.Combine(Path.GetTempPath(), $"llmgw-restart-{Guid.NewGuid():N}");
        try
        {
            await using (var first = await StartAsync(stateDirectory))
            {
                await first.StopAsync(TestContext.Current.CancellationToken);
            }

            await using var second = await StartAsync(stateDirectory);
            var postgres = await WatchAsync(second, "postgres", untilQuiet: TimeSpan.FromSeconds(3));
            Assert.Contains(postgres, line => line.Contains("ready to accept connections", StringComparison.Ordinal));
            // A clean stop leaves "database system was shut down at …"; a killed one "was interrupted" and a recovery.
            Assert.Contains(postgres, line => line.Contains("database system was shut down at", StringComparison.Ordinal));
            Assert.DoesNotContain(postgres, line => line.Contains("not properly shut down", StringComparison.Ordinal));
            Assert.DoesNotContain(postgres, line => line.Contains("automatic recovery", StringComparison.Ordinal));
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

    /// <summary>The resource's console lines so far, read until the stream stays quiet for <paramref name="untilQuiet"/>.</summary>
    private static async Task<List<string>> WatchAsync(DistributedApplication app, string resourceName, TimeSpan untilQuiet)
    {
        Assert.True(app.ResourceNotifications.TryGetCurrentState(resourceName, out var state));
        var quietFor = untilQuiet;
        var lines = new List<string>();
        using var quiet = new CancellationTokenSource(quietFor);
        try
        {
            await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(state.ResourceId).WithCancellation(quiet.Token))
            {
                lines.AddRange(batch.Select(line => line.Content));
                quiet.CancelAfter(quietFor);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return lines;
    }
}
