using System.Diagnostics;

namespace LlmGateway.Tests.Clients;

/// <summary>
/// OpenAI's Codex CLI itself (<c>@openai/codex</c> from npm, installed by <c>./test.sh</c> into <c>LlmGateway.Tests/.clients/</c>),
/// run once with <c>codex exec</c> as docs/coding-agents.md configures it for the gateway: a throwaway <c>CODEX_HOME</c> with a
/// <c>config.toml</c> whose provider is the gateway (<c>wire_api = "responses"</c>), stdin closed, no inherited environment
/// but PATH, every run bounded.
/// </summary>
public static class CodexCli
{
    public const string Version = "0.171.0";

    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    public static string Executable => Path.Combine(ClientsFolder(), "node_modules", ".bin", "codex");

    /// <summary>The <c>config.toml</c> of docs/coding-agents.md for a gateway at <paramref name="gateway"/>.</summary>
    public static string Config(Uri gateway, string model, string settings = "") => $"""
        model = "{model}"
        model_provider = "gateway"
        {settings}

        [model_providers.gateway]
        name = "LlmGateway"
        base_url = "{new Uri(gateway, "v1")}"
        env_key = "LLMGATEWAY_KEY"
        wire_api = "responses"
        """;

    /// <param name="settings">More top-level <c>config.toml</c> lines, e.g. <c>web_search = "disabled"</c>.</param>
    public static async Task<Result> ExecAsync(Uri gateway, string key, string model, string prompt, CancellationToken ct, string settings = "")
    {
        Assert.True(File.Exists(Executable), $"Codex is missing: ./test.sh installs it (npm i --prefix LlmGateway.Tests/.clients @openai/codex@{Version}).");
        var home = Directory.CreateTempSubdirectory("llmgw-codex-home-");
        var work = Directory.CreateTempSubdirectory("llmgw-codex-work-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(home.FullName, "config.toml"), Config(gateway, model, settings), ct);
            var info = new ProcessStartInfo(Executable)
            {
                WorkingDirectory = work.FullName, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "exec", "--skip-git-repo-check", prompt })
                info.ArgumentList.Add(argument);
            info.Environment.Clear();
            info.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
            info.Environment["HOME"] = home.FullName;
            info.Environment["CODEX_HOME"] = home.FullName;
            info.Environment["LLMGATEWAY_KEY"] = key;
            using var process = Process.Start(info)!;
            process.StandardInput.Close();
            return await WaitAsync(process, ct);
        }
        finally
        {
            home.Delete(recursive: true);
            work.Delete(recursive: true);
        }
    }

    private static async Task<Result> WaitAsync(Process process, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RunTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return new Result(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"codex exec did not finish within {RunTimeout}");
        }
    }

    internal static string ClientsFolder()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LlmGateway.sln")))
            directory = directory.Parent;
        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("LlmGateway.sln not found"), "LlmGateway.Tests", ".clients");
    }
}
