using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace LlmGateway.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on a free loopback port that delivers what a client sends to the target <see cref="Delay"/> late (each
/// chunk as late as the others, in order) and the target's answers at once: one replica's Redis made slow to reach, so
/// that its commands arrive after another replica's.
/// </summary>
internal sealed class DelayingTcpProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint target;
    private readonly CancellationTokenSource stop = new();
    private readonly List<Task> connections = [];
    private readonly Task accepting;

    private DelayingTcpProxy(IPEndPoint target, TimeSpan delay)
    {
        this.target = target;
        Delay = delay;
        listener.Start();
        accepting = AcceptAsync();
    }

    public TimeSpan Delay { get; }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>A proxy to <paramref name="host"/>:<paramref name="port"/> (an IP address) that delays what clients send by <paramref name="delay"/>.</summary>
    public static DelayingTcpProxy Start(string host, int port, TimeSpan delay) => new(new IPEndPoint(IPAddress.Parse(host), port), delay);

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }

            lock (connections)
                connections.Add(ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(target, stop.Token);
            var fromClient = client.GetStream();
            var toServer = server.GetStream();
            await Task.WhenAny(DelayedAsync(fromClient, toServer), CopyAsync(toServer, fromClient));
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // one side closed
        }
        catch (SocketException)
        {
        }
    }

    private async Task CopyAsync(Stream from, Stream to)
    {
        try
        {
            await from.CopyToAsync(to, stop.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Reads as it comes, writes each chunk <see cref="Delay"/> after it was read.</summary>
    private async Task DelayedAsync(Stream from, Stream to)
    {
        var chunks = Channel.CreateUnbounded<(long ReadAt, byte[] Bytes)>();
        var writing = Task.Run(async () =>
        {
            try
            {
                await foreach (var (readAt, bytes) in chunks.Reader.ReadAllAsync(stop.Token))
                {
                    var due = TimeSpan.FromTicks(readAt) + Delay - TimeSpan.FromTicks(Environment.TickCount64 * TimeSpan.TicksPerMillisecond);
                    if (due > TimeSpan.Zero)
                        await Task.Delay(due, stop.Token);
                    await to.WriteAsync(bytes, stop.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
        });
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, stop.Token)) > 0)
                chunks.Writer.TryWrite((Environment.TickCount64 * TimeSpan.TicksPerMillisecond, buffer[..read]));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            chunks.Writer.TryComplete();
        }

        await writing;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        Task[] open;
        lock (connections)
            open = [.. connections];
        await Task.WhenAll(open);
        stop.Dispose();
    }
}
