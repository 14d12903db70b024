using System.Buffers;

namespace LlmGateway.Api.Streaming;

/// <summary>
/// The one timeout of an upstream body: each read must bring something within the idle limit (re-armed per read, never a
/// total), and the first within the first-byte limit when the deployment sets a <c>ttfb_timeout</c>. One timer per body.
/// </summary>
public sealed class ReadDeadline : IDisposable
{
    private readonly CancellationTokenSource timer;
    private readonly CancellationToken outer;
    private readonly TimeSpan idle;
    private TimeSpan? first;

    public ReadDeadline(CancellationToken outer, TimeSpan idle, TimeSpan? first = null)
    {
        this.outer = outer;
        this.idle = idle;
        this.first = first is { } f && f <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : first;
        timer = CancellationTokenSource.CreateLinkedTokenSource(outer);
    }

    /// <summary>The token for the next read, its timer re-armed.</summary>
    public CancellationToken Arm()
    {
        timer.CancelAfter(first ?? idle);
        return timer.Token;
    }

    /// <summary>A read came back: the first-byte limit has been met.</summary>
    public void Received() => first = null;

    /// <summary>True when <paramref name="ex"/> is this deadline expiring, not the caller cancelling.</summary>
    public bool Expired(OperationCanceledException ex) => !outer.IsCancellationRequested && timer.IsCancellationRequested;

    public TimeoutException Timeout() => new(first is { } limit
        ? $"The upstream sent no first byte within the ttfb_timeout of {limit.TotalSeconds:0.###} s."
        : $"The upstream sent nothing for {idle.TotalSeconds:0.#} s.");

    /// <summary>Reads from <paramref name="stream"/> under the deadline; throws <see cref="TimeoutException"/> when it expires.</summary>
    public async ValueTask<int> ReadAsync(Stream stream, Memory<byte> buffer)
    {
        try
        {
            var read = await stream.ReadAsync(buffer, Arm());
            Received();
            return read;
        }
        catch (OperationCanceledException ex) when (Expired(ex))
        {
            throw Timeout();
        }
    }

    /// <summary>Reads a whole body into a pooled buffer that grows with what arrives (the caller returns it to the pool).</summary>
    public async Task<(byte[] Buffer, int Length)> ReadAllAsync(HttpResponseMessage response)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(Arm());
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(response.Content.Headers.ContentLength ?? 8192, 256, 64 * 1024 * 1024) + 1);
        var length = 0;
        try
        {
            int read;
            while ((read = await ReadAsync(stream, buffer.AsMemory(length))) > 0)
            {
                length += read;
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            return (buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    public void Dispose() => timer.Dispose();
}
