using System.Buffers;
using System.Text;

namespace LlmGateway.Api.Streaming;

/// <summary>Writes server-sent events into a buffer: <c>event:</c>/<c>data:</c> lines and the blank line that ends each.</summary>
public sealed class SseWriter(IBufferWriter<byte> output)
{
    public IBufferWriter<byte> Output => output;

    /// <summary>Events written so far.</summary>
    public int Count { get; private set; }

    /// <summary><c>event: name</c> then <c>data: json</c>.</summary>
    public void Event(string name, ReadOnlySpan<byte> json)
    {
        output.Write("event: "u8);
        Encoding.UTF8.GetBytes(name, output);
        output.Write("\n"u8);
        Data(json);
    }

    /// <summary><c>data: json</c> alone.</summary>
    public void Data(ReadOnlySpan<byte> json)
    {
        output.Write("data: "u8);
        output.Write(json);
        output.Write("\n\n"u8);
        Count++;
    }

    /// <summary>OpenAI's end of stream, <c>data: [DONE]</c>.</summary>
    public void Done() => Data("[DONE]"u8);

    /// <summary>An event as the upstream sent it, separator included.</summary>
    public void Raw(ReadOnlySequence<byte> raw)
    {
        foreach (var segment in raw)
        {
            output.Write(segment.Span);
        }

        Count++;
    }
}
