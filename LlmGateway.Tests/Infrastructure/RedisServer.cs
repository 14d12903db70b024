using System.Diagnostics;
using System.Net.Sockets;

namespace LlmGateway.Tests.Infrastructure;

/// <summary>A throwaway <c>redis-server</c> on a free loopback port, with nothing persisted; can be stopped and restarted.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string, with short timeouts so outage tests never hang.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000";

    public static async Task<RedisServer> StartNewAsync()
    {
        var server = new RedisServer(LocalProcess.FreeTcpPort());
        await server.StartAsync();
        return server;
    }

    public async Task StartAsync()
    {
        var binary = LocalProcess.FindOnPath("redis-server")
            ?? throw new InvalidOperationException("redis-server is not installed: apt-get install redis-server (or run ./test.sh, which does)");
        process = LocalProcess.StartServer(binary,
            ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", Path.GetTempPath()]);
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(Answers()), TimeSpan.FromSeconds(30), $"Redis on port {Port}");
    }

    public async Task StopAsync()
    {
        LocalProcess.Stop(process);
        process = null;
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(!Answers()), TimeSpan.FromSeconds(10), "Redis shutdown");
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a Redis that hangs.</summary>
    public Task FreezeAsync() => SignalAsync("-STOP");

    /// <summary>Resumes a frozen server (SIGCONT); it then runs whatever it was sent meanwhile.</summary>
    public Task ThawAsync() => SignalAsync("-CONT");

    private Task SignalAsync(string signal) => process is null
        ? throw new InvalidOperationException("Redis is not running")
        : LocalProcess.RunAsync("kill", [signal, process.Id.ToString()], TimeSpan.FromSeconds(10));

    private bool Answers()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        LocalProcess.Stop(process);
        return ValueTask.CompletedTask;
    }
}
