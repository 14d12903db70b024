using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LlmGateway.Tests.Alerting;

/// <summary>A tiny SMTP server on loopback that accepts every message (and any AUTH LOGIN) and keeps it.</summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentQueue<SmtpMessage> messages = new();
    private Task accepting = Task.CompletedTask;

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;
    public IReadOnlyCollection<SmtpMessage> Messages => messages;
    public int Logins;

    public static SmtpSink Start()
    {
        var sink = new SmtpSink();
        sink.listener.Start();
        sink.accepting = sink.AcceptAsync();
        return sink;
    }

    public List<SmtpMessage> Containing(string marker) => [.. messages.Where(m => m.Text.Contains(marker, StringComparison.Ordinal))];

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                _ = Task.Run(() => ServeAsync(client));
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 sink ESMTP");
        var recipients = new List<string>();
        string? line;
        while ((line = await reader.ReadLineAsync(stop.Token)) is not null)
        {
            var verb = line.Split(' ')[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await writer.WriteLineAsync("250-sink");
                    await writer.WriteLineAsync("250 AUTH LOGIN");
                    break;
                case "AUTH":
                    if (line.Split(' ').Length < 3)
                    {
                        await writer.WriteLineAsync("334 VXNlcm5hbWU6");
                        await reader.ReadLineAsync(stop.Token);
                    }

                    await writer.WriteLineAsync("334 UGFzc3dvcmQ6");
                    await reader.ReadLineAsync(stop.Token);
                    Interlocked.Increment(ref Logins);
                    await writer.WriteLineAsync("235 2.7.0 Authentication successful");
                    break;
                case "RCPT":
                    recipients.Add(line[(line.IndexOf(':') + 1)..].Trim().Trim('<', '>'));
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "DATA":
                    await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                    var data = new StringBuilder();
                    while ((line = await reader.ReadLineAsync(stop.Token)) is not null and not ".")
                    {
                        data.Append(line).Append("\r\n");
                    }

                    messages.Enqueue(new SmtpMessage([.. recipients], data.ToString()));
                    recipients.Clear();
                    await writer.WriteLineAsync("250 OK queued");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 Bye");
                    return;
                default:
                    await writer.WriteLineAsync("250 OK");
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        stop.Dispose();
    }
}

/// <summary>One received message; <see cref="Text"/> has folded headers and quoted-printable soft breaks undone.</summary>
public sealed record SmtpMessage(IReadOnlyList<string> Recipients, string Raw)
{
    public string Text => Raw.Replace("=\r\n", "", StringComparison.Ordinal).Replace("\r\n ", " ", StringComparison.Ordinal).Replace("\r\n\t", " ", StringComparison.Ordinal);
}
