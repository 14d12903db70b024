using System.Text;

namespace LlmGateway.Api.Streaming;

/// <summary>Event names as shared strings, so reading a known event allocates nothing.</summary>
internal static class SseNames
{
    private static readonly string[] Known =
    [
        "message_start", "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop", "ping", "error",
        // The Responses API's most frequent and its terminal events.
        "response.output_text.delta", "response.function_call_arguments.delta", "response.completed", "response.incomplete",
        "response.failed",
    ];

    public static string Intern(ReadOnlySpan<byte> name)
    {
        foreach (var known in Known)
        {
            if (name.Length == known.Length && Encoding.ASCII.GetByteCount(known) == name.Length && Matches(name, known))
            {
                return known;
            }
        }

        return Encoding.UTF8.GetString(name);
    }

    private static bool Matches(ReadOnlySpan<byte> bytes, string text)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != text[i])
            {
                return false;
            }
        }

        return true;
    }
}
