using System.Buffers;
using System.Text;
using System.Text.Json;

namespace LlmGateway.Api.Contracts;

/// <summary>One <see cref="Utf8JsonWriter"/> and buffer reused for every chunk a stream mapper writes.</summary>
internal sealed class ReusableJsonWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;

    public ReusableJsonWriter() => _writer = new Utf8JsonWriter(_buffer, TranslationJson.WriterOptions);

    public Utf8JsonWriter Begin()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        return _writer;
    }

    public string End()
    {
        _writer.Flush();
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }
}
