using System.Diagnostics;
using System.Reflection;
using System.Text;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Telemetry;

/// <summary>The Api as a real child process (<c>dotnet LlmGateway.Api.dll</c>), for SIGTERM and kill -9.</summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private GatewayProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }
    public int Id => process.Id;
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;

    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public static async Task<GatewayProcess> StartAsync(string database, string redis, IReadOnlyDictionary<string, string?> settings)
    {
        var port = LocalProcess.FreeTcpPort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ApiDll());
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["ConnectionStrings__gatewaydb"] = database;
        start.Environment["ConnectionStrings__redis"] = redis;
        start.Environment["Gateway__MasterKey"] = GatewayApiHost.MasterKey;
        start.Environment["Logging__LogLevel__Default"] = Environment.GetEnvironmentVariable("GATEWAY_PROCESS_LOG") ?? "Warning";
        start.Environment["Logging__LogLevel__LlmGateway.Api.Shutdown"] = "Information";
        start.Environment["Logging__LogLevel__LlmGateway.Api.Spend"] = "Information";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        start.Environment["Logging__LogLevel__StackExchange.Redis"] = "None";
        start.Environment["Logging__LogLevel__Npgsql"] = "None";
        start.Environment["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "None";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var gateway = new GatewayProcess(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"));
        using var client = gateway.CreateClient();
        try
        {
            await LocalProcess.WaitUntilAsync(async () =>
            {
                Assert.False(gateway.HasExited, $"The gateway exited at start-up: {gateway.Output}");
                try
                {
                    using var response = await client.GetAsync("/health/readiness");
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(60), "The gateway process's readiness");
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }

        return gateway;
    }

    public HttpClient CreateClient(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", bearer);
        }

        return client;
    }

    public Task TerminateAsync() => LocalProcess.RunAsync("kill", ["-TERM", Id.ToString()], TimeSpan.FromSeconds(10));

    public void KillHard()
    {
        process.Kill();
        process.WaitForExit(TimeSpan.FromSeconds(10));
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static string ApiDll()
    {
        var configuration = typeof(GatewayProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LlmGateway.sln")))
        {
            directory = directory.Parent;
        }

        var dll = Path.Combine(directory?.FullName ?? throw new InvalidOperationException("LlmGateway.sln not found above the test folder"),
            "LlmGateway.Api", "bin", configuration, "net10.0", "LlmGateway.Api.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the Api first", dll);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            if (output.Length < 200_000)
            {
                output.AppendLine(line);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }

        process.Dispose();
        return ValueTask.CompletedTask;
    }
}
