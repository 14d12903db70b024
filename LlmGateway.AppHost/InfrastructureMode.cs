using Microsoft.Extensions.Configuration;
using System.Diagnostics;

namespace LlmGateway.AppHost;

/// <summary>Where Postgres and Redis come from. Chosen by <c>Infrastructure:Mode</c>; <see cref="Auto"/> picks for you.</summary>
public enum InfrastructureMode
{
    /// <summary>Existing servers when both connection strings are set; containers when a runtime answers; local processes otherwise.</summary>
    Auto,
    Containers,
    Processes,
    Existing,
}

internal static class InfrastructureModeResolver
{
    public static InfrastructureMode Resolve(IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration["Infrastructure:Mode"];
        var mode = string.IsNullOrWhiteSpace(configured)
            ? InfrastructureMode.Auto
            : Enum.TryParse<InfrastructureMode>(configured, ignoreCase: true, out var parsed)
                ? parsed
                : throw new DistributedApplicationException(
                    $"Infrastructure:Mode: unknown value '{configured}' (expected auto, containers, processes or existing)");

        // A published manifest always describes containers, whatever this machine has.
        if (builder.ExecutionContext.IsPublishMode)
        {
            return InfrastructureMode.Containers;
        }

        if (mode != InfrastructureMode.Auto)
        {
            return mode;
        }

        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("gatewaydb"))
            && !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("redis")))
        {
            return InfrastructureMode.Existing;
        }

        return ContainerRuntimeAnswers(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"] ?? "docker")
            ? InfrastructureMode.Containers
            : InfrastructureMode.Processes;
    }

    /// <summary>True when the container runtime's daemon answers within a few seconds (a client alone is not enough).</summary>
    private static bool ContainerRuntimeAnswers(string runtime)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info --format {{.ServerVersion}}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            if (!process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // not installed
        }
    }
}
