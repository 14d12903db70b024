using System.Diagnostics;
using System.Text.Json;

namespace LlmGateway.Tests.Clients;

/// <summary>
/// Claude Code itself (<c>@anthropic-ai/claude-code</c> from npm, installed by <c>./test.sh</c> into
/// <c>LlmGateway.Tests/.clients/</c>), run once with <c>claude -p</c> as a developer would point it at the gateway:
/// a throwaway HOME and working folder, stdin closed, no environment inherited but PATH, every run bounded.
/// </summary>
public static class ClaudeCodeCli
{
    public const string Version = "2.1.332";

    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The result line of <c>--output-format json</c>, and what the process printed.</summary>
    public sealed record Result(JsonElement Line, string Stdout, string Stderr)
    {
        public bool IsError => !Line.TryGetProperty("is_error", out var value) || value.ValueKind != JsonValueKind.False;

        public string? Text => Line.TryGetProperty("result", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        public override string ToString() => $"stdout: {Stdout}\nstderr: {Stderr}";
    }

    public static string Executable => Path.Combine(RepositoryRoot(), "LlmGateway.Tests", ".clients", "node_modules", ".bin", "claude");

    /// <summary>Runs <c>claude -p</c> in a new working folder, or in <paramref name="work"/> (the caller's files in it; deleted after).</summary>
    public static async Task<Result> RunAsync(Uri gateway, string key, string model, string prompt, CancellationToken ct, DirectoryInfo? work = null)
    {
        Assert.True(File.Exists(Executable),
            $"Claude Code is missing: ./test.sh installs it (npm i --prefix LlmGateway.Tests/.clients @anthropic-ai/claude-code@{Version}).");
        var home = Directory.CreateTempSubdirectory("llmgw-claude-home-");
        work ??= Directory.CreateTempSubdirectory("llmgw-claude-work-");
        try
        {
            using var process = Process.Start(StartInfo(gateway, key, model, prompt, home.FullName, work.FullName))!;
            process.StandardInput.Close();
            var (stdout, stderr) = await WaitAsync(process, ct);
            return new Result(ResultLine(stdout, stderr), stdout, stderr);
        }
        finally
        {
            home.Delete(recursive: true);
            work.Delete(recursive: true);
        }
    }

    private static ProcessStartInfo StartInfo(Uri gateway, string key, string model, string prompt, string home, string work)
    {
        var info = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = work,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-p", prompt, "--model", model, "--output-format", "json" })
            info.ArgumentList.Add(argument);
        // Nothing of the developer's own setup (ANTHROPIC_API_KEY, a logged-in account, settings) may leak in.
        info.Environment.Clear();
        info.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        info.Environment["HOME"] = home;
        info.Environment["ANTHROPIC_BASE_URL"] = gateway.GetLeftPart(UriPartial.Authority);
        info.Environment["ANTHROPIC_AUTH_TOKEN"] = key;
        info.Environment["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
        return info;
    }

    private static async Task<(string Stdout, string Stderr)> WaitAsync(Process process, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(RunTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return (await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"claude -p did not finish within {RunTimeout}");
        }
    }

    private static JsonElement ResultLine(string stdout, string stderr)
    {
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse())
        {
            if (!line.StartsWith('{'))
                continue;
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("type", out var type) && type.GetString() == "result")
                return document.RootElement.Clone();
        }

        throw new InvalidOperationException($"claude -p printed no result line.\nstdout: {stdout}\nstderr: {stderr}");
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LlmGateway.sln")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("LlmGateway.sln not found above the test folder");
    }
}
