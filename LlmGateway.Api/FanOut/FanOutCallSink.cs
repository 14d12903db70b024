using System.Buffers;

namespace LlmGateway.Api.FanOut;

/// <summary>
/// Where one call of a fan-out writes what the relay would send a client: a whole body (an answer or an error) is kept; a
/// stream is cut into its events, each handed to the <see cref="FanOutAnswer"/> as it comes.
/// </summary>
internal sealed class FanOutCallSink(FanOutAnswer answer, int index, HttpResponse response) : Stream
{
    private readonly ArrayBufferWriter<byte> whole = new();
    private readonly ArrayBufferWriter<byte> line = new();
    private readonly ArrayBufferWriter<byte> data = new();

    /// <summary>The whole body written (not a stream's events).</summary>
    public ReadOnlyMemory<byte> Whole => whole.WrittenMemory;

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (response.ContentType?.StartsWith("text/event-stream", StringComparison.Ordinal) != true)
        {
            whole.Write(buffer.Span);
            return;
        }

        while (buffer.Length > 0)
        {
            var end = buffer.Span.IndexOf((byte)'\n');
            if (end < 0)
            {
                line.Write(buffer.Span);
                return;
            }

            line.Write(buffer.Span[..end]);
            buffer = buffer[(end + 1)..];
            if (EndOfEvent())
            {
                await answer.OnEventAsync(index, data.WrittenMemory);
                data.ResetWrittenCount();
            }
        }
    }

    /// <summary>Takes the complete line: a <c>data:</c> line joins the event's data; an empty line ends an event that has some.</summary>
    private bool EndOfEvent()
    {
        var text = line.WrittenSpan;
        text = text.Length > 0 && text[^1] == (byte)'\r' ? text[..^1] : text;
        var ended = text.Length == 0 && data.WrittenCount > 0;
        if (text.StartsWith("data:"u8))
        {
            var value = text[5..];
            if (data.WrittenCount > 0)
            {
                data.Write("\n"u8);
            }

            data.Write(value.Length > 0 && value[0] == (byte)' ' ? value[1..] : value);
        }

        line.ResetWrittenCount();
        return ended;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
