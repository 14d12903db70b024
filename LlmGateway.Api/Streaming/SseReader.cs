using System.Buffers;
using System.IO.Pipelines;

namespace LlmGateway.Api.Streaming;

/// <summary>
/// Reads server-sent events from an upstream body one event at a time, without buffering the stream.
/// Each read waits at most the idle timeout (reset per event), never a total timeout.
/// <see cref="Raw"/> and <see cref="Data"/> are valid until the next <see cref="ReadAsync"/>.
/// </summary>
public sealed class SseReader(Stream stream, ReadDeadline deadline) : IAsyncDisposable
{
    private readonly PipeReader reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
    private byte[] dataBuffer = ArrayPool<byte>.Shared.Rent(4096);
    private ReadOnlySequence<byte> buffer;
    private SequencePosition consumed;
    private bool holding;

    /// <summary>The whole event as received, separator included: what a pass-through writes to the client.</summary>
    public ReadOnlySequence<byte> Raw { get; private set; }

    /// <summary>The <c>event:</c> field, or empty.</summary>
    public string EventName { get; private set; } = "";

    /// <summary>The <c>data:</c> payload (lines joined with \n).</summary>
    public ReadOnlyMemory<byte> Data { get; private set; }

    public long BytesRead { get; private set; }

    /// <summary>Events returned so far.</summary>
    public long Events { get; private set; }

    /// <summary>Advances to the next event; false at the end of the stream. Throws <see cref="TimeoutException"/> when the deadline passes.</summary>
    public async ValueTask<bool> ReadAsync()
    {
        if (holding)
        {
            // Only consumed, not examined: the rest of the buffer may already hold the next event.
            reader.AdvanceTo(consumed);
            holding = false;
        }

        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(deadline.Arm());
                deadline.Received();
            }
            catch (OperationCanceledException ex) when (deadline.Expired(ex))
            {
                throw deadline.Timeout();
            }

            buffer = result.Buffer;
            while (TryParseEvent(buffer, out var eventEnd))
            {
                if (Data.Length > 0 || EventName.Length > 0)
                {
                    Raw = buffer.Slice(0, eventEnd);
                    consumed = eventEnd;
                    holding = true;
                    BytesRead += Raw.Length;
                    Events++;
                    return true;
                }

                buffer = buffer.Slice(eventEnd); // a blank line or a comment: nothing to report
            }

            if (result.IsCompleted)
            {
                // A last event without its blank line still counts.
                if (!buffer.IsEmpty && TryParseEvent(AppendSeparator(buffer), out _) && (Data.Length > 0 || EventName.Length > 0))
                {
                    Raw = buffer;
                    consumed = buffer.End;
                    holding = true;
                    BytesRead += Raw.Length;
                    Events++;
                    return true;
                }

                reader.AdvanceTo(buffer.End);
                return false;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static ReadOnlySequence<byte> AppendSeparator(ReadOnlySequence<byte> tail)
    {
        var copy = new byte[tail.Length + 2];
        tail.CopyTo(copy);
        copy[^2] = (byte)'\n';
        copy[^1] = (byte)'\n';
        return new ReadOnlySequence<byte>(copy);
    }

    /// <summary>Finds one event (lines up to a blank line) at the start of <paramref name="input"/>.</summary>
    private bool TryParseEvent(ReadOnlySequence<byte> input, out SequencePosition end)
    {
        var sequence = new SequenceReader<byte>(input);
        var dataLength = 0;
        var eventName = "";
        var sawData = false;
        while (sequence.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
        {
            var span = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
            if (span.Length > 0 && span[^1] == (byte)'\r')
            {
                span = span[..^1];
            }

            if (span.IsEmpty)
            {
                end = sequence.Position;
                EventName = eventName;
                Data = dataBuffer.AsMemory(0, dataLength);
                return true;
            }

            if (span.StartsWith("data:"u8))
            {
                var value = TrimLeadingSpace(span[5..]);
                EnsureCapacity(dataLength + value.Length + 1);
                if (sawData)
                {
                    dataBuffer[dataLength++] = (byte)'\n';
                }

                value.CopyTo(dataBuffer.AsSpan(dataLength));
                dataLength += value.Length;
                sawData = true;
            }
            else if (span.StartsWith("event:"u8))
            {
                eventName = SseNames.Intern(TrimLeadingSpace(span[6..]));
            }
        }

        end = default;
        return false;
    }

    private static ReadOnlySpan<byte> TrimLeadingSpace(ReadOnlySpan<byte> value) =>
        value.Length > 0 && value[0] == (byte)' ' ? value[1..] : value;

    private void EnsureCapacity(int needed)
    {
        if (needed <= dataBuffer.Length)
        {
            return;
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, dataBuffer.Length * 2));
        dataBuffer.CopyTo(larger, 0);
        ArrayPool<byte>.Shared.Return(dataBuffer);
        dataBuffer = larger;
    }

    public async ValueTask DisposeAsync()
    {
        await reader.CompleteAsync();
        ArrayPool<byte>.Shared.Return(Interlocked.Exchange(ref dataBuffer, []));
    }
}
