using System.Diagnostics;

namespace LlmGateway.AppHost.HostProcesses;

/// <summary>Runs a short set-up command (initdb, chown) to completion, failing with its output.</summary>
internal static class HostCommand
{
    public static void Run(string fileName, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new DistributedApplicationException($"Could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new DistributedApplicationException($"{fileName} did not finish within 2 minutes");
        }

        if (process.ExitCode != 0)
        {
            throw new DistributedApplicationException(
                $"{fileName} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {stderr.Result}{stdout.Result}");
        }
    }

    public static bool IsRoot => Environment.UserName == "root" || GetEuid() == 0;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
