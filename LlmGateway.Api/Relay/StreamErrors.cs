using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;

namespace LlmGateway.Api.Relay;

/// <summary>After the first byte, an error can only be an event in the stream, in the client's grammar, followed by its end.</summary>
public static class StreamErrors
{
    public static void Write(SseWriter writer, ClientFormat format, GatewayError error)
    {
        var json = ErrorWriter.ToBytes(error, format);
        if (format == ClientFormat.Anthropic)
        {
            writer.Event("error", json);
        }
        else
        {
            writer.Data(json);
            writer.Done();
        }
    }
}
