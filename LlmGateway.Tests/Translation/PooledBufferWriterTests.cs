using System.Buffers;
using System.Text;
using LlmGateway.Api.Streaming;

namespace LlmGateway.Tests.Translation;

public sealed class PooledBufferWriterTests
{
    [Fact]
    public void WritesThatOutgrowTheFirstArrayKeepEveryByteInOrder()
    {
        using var writer = new PooledBufferWriter();
        var expected = new StringBuilder();
        for (var i = 0; i < 300; i++)
        {
            var chunk = $"event {i}: 😀 漢字 {new string('x', i % 37)}\n";
            writer.Write(Encoding.UTF8.GetBytes(chunk));
            expected.Append(chunk);
        }

        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(writer.WrittenSpan));
        Assert.Equal(Encoding.UTF8.GetByteCount(expected.ToString()), writer.WrittenCount);
    }

    [Fact]
    public void ASizeHintIsAlwaysMetAndNothingIsWrittenBeforeTheFirstWrite()
    {
        using var writer = new PooledBufferWriter();
        Assert.Equal(0, writer.WrittenCount);
        Assert.True(writer.GetSpan(5000).Length >= 5000);
        Assert.True(writer.GetMemory().Length >= 1);
        writer.Advance(3);
        Assert.True(writer.GetSpan(10_000).Length >= 10_000);
        Assert.Equal(3, writer.WrittenCount);
    }
}
