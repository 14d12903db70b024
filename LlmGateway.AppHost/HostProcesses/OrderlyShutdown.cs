using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AppHost.HostProcesses;

/// <summary>
/// On stop, before the orchestrator tears everything down at once: the apps first (they hold connections), then the
/// local Postgres with a fast shutdown (SIGINT: clients are disconnected and it checkpoints, so the next start needs no
/// recovery). Redis is left to the orchestrator, whose SIGTERM already makes it save and exit cleanly.
/// </summary>
internal sealed class OrderlyShutdown(
    DistributedApplicationModel model, ResourceCommandService commands, LocalPostgresResource postgres, ILogger<OrderlyShutdown> logger)
    : IHostedLifecycleService
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Limit);
        try
        {
            await Task.WhenAll(model.Resources.OfType<ProjectResource>()
                .Select(app => commands.ExecuteCommandAsync(app, KnownResourceCommands.StopCommand, timeout.Token)));
            await StopPostgresAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            logger.LogWarning("Orderly shutdown did not finish ({Error}); the orchestrator stops what is left", ex.Message);
        }
    }

    private async Task StopPostgresAsync(CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(postgres.DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
        {
            return;
        }

        using (var signal = Process.Start(new ProcessStartInfo("kill", ["-INT", pid.ToString()]) { UseShellExecute = false }))
        {
            await signal!.WaitForExitAsync(cancellationToken);
        }

        while (File.Exists(pidFile))
        {
            await Task.Delay(100, cancellationToken);
        }

        logger.LogInformation("Postgres stopped (fast shutdown)");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
