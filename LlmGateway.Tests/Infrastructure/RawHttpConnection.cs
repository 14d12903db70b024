using System.Net.Sockets;
using System.Text;

namespace LlmGateway.Tests.Infrastructure;

/// <summary>
/// An HTTP/1.1 request written by hand on a raw socket: headers and as much of the body as a test wants, when it
/// wants — what a slow or hostile client does that HttpClient cannot.
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly TcpClient tcp = new() { NoDelay = true };
    private NetworkStream stream = null!;

    public static async Task<RawHttpConnection> OpenAsync(Uri baseAddress, string method, string path, IDictionary<string, string> headers, CancellationToken ct)
    {
        var connection = new RawHttpConnection();
        await connection.tcp.ConnectAsync(baseAddress.Host, baseAddress.Port, ct);
        connection.stream = connection.tcp.GetStream();
        var head = new StringBuilder($"{method} {path} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        await connection.SendAsync(head.Append("\r\n").ToString(), ct);
        return connection;
    }

    public async Task SendAsync(string text, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await stream.FlushAsync(ct);
    }

    /// <summary>Sends <paramref name="text"/> a few bytes at a time until the server answers; returns the answer (status line, headers, body).</summary>
    public async Task<string> TrickleUntilAnsweredAsync(string text, int bytesPerStep, TimeSpan step, CancellationToken ct)
    {
        var answer = ReadAnswerAsync(ct);
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var sent = 0; sent < bytes.Length && !answer.IsCompleted; sent += bytesPerStep)
        {
            try
            {
                await stream.WriteAsync(bytes.AsMemory(sent, Math.Min(bytesPerStep, bytes.Length - sent)), ct);
            }
            catch (IOException)
            {
                break; // the server closed the connection after answering
            }

            await Task.WhenAny(answer, Task.Delay(step, ct));
        }

        return await answer;
    }

    /// <summary>Reads until the server closes the connection or the answer's declared body has arrived.</summary>
    public async Task<string> ReadAnswerAsync(CancellationToken ct)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, ct);
            }
            catch (IOException)
            {
                read = 0;
            }

            if (read == 0)
            {
                return Encoding.UTF8.GetString(received.ToArray());
            }

            received.Write(buffer, 0, read);
            var text = Encoding.UTF8.GetString(received.ToArray());
            if (IsComplete(text))
            {
                return text;
            }
        }
    }

    private static bool IsComplete(string text)
    {
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        if (text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal))
        {
            return true; // the last chunk of a chunked answer
        }

        var length = text[..end].Split("\r\n").FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return length is not null && Encoding.UTF8.GetByteCount(text[(end + 4)..]) >= int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (stream is not null)
        {
            await stream.DisposeAsync();
        }

        tcp.Dispose();
    }
}
