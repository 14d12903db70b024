using System.Diagnostics;

namespace LlmGateway.Tests.Clients;

/// <summary>
/// Runs the script a developer would write against an npm client library (the OpenAI Agents SDK, the Vercel AI SDK,
/// LangChain), installed by <c>./test.sh</c> in the clients folder: the gateway's URL, a key and a model in its
/// environment, nothing else; its last line of output is the result.
/// </summary>
internal static class NodeScript
{
    /// <summary>Fails with how to install it when <paramref name="package"/> is not in the clients folder.</summary>
    public static void RequireInstalled(string package, string version) =>
        Assert.True(Directory.Exists(Path.Combine(CodexCli.ClientsFolder(), "node_modules", package)),
            $"{package} is missing: ./test.sh installs it (npm i --prefix LlmGateway.Tests/.clients {package}@{version}).");

    /// <summary>Runs <paramref name="script"/> (an ES module) with <paramref name="environment"/>; returns its last line of output.</summary>
    public static async Task<string> RunAsync(string script, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var folder = CodexCli.ClientsFolder();
        // Inside the clients folder, so that node finds the packages installed there.
        var path = Path.Combine(folder, $"script-{Guid.NewGuid():N}.mjs");
        await File.WriteAllTextAsync(path, script, ct);
        try
        {
            var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(path);
            info.Environment.Clear();
            info.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
            foreach (var (name, value) in environment)
                info.Environment[name] = value;
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            try
            {
                await process.WaitForExitAsync(ct);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            Assert.True(process.ExitCode == 0, $"node exited {process.ExitCode}\nstdout: {await stdout}\nstderr: {await stderr}");
            return (await stdout).Trim().Split('\n')[^1];
        }
        finally
        {
            File.Delete(path);
        }
    }
}
