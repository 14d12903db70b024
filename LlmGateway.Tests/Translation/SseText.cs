using System.Text;

namespace LlmGateway.Tests.Translation;

/// <summary>Parses written server-sent events back into (event name, data) pairs for assertions.</summary>
public static class SseText
{
    /// <summary>Each blank-line-separated event: its <c>event:</c> name (null if none) and its <c>data:</c> lines joined by newlines.</summary>
    public static List<(string? Event, string Data)> Parse(ReadOnlySpan<byte> sse)
    {
        var events = new List<(string? Event, string Data)>();
        var text = Encoding.UTF8.GetString(sse).Replace("\r\n", "\n", StringComparison.Ordinal);
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            var data = new List<string>();
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    name = line["event:".Length..].TrimStart();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    var value = line["data:".Length..];
                    data.Add(value.StartsWith(' ') ? value[1..] : value);
                }
            }

            if (name is not null || data.Count > 0)
            {
                events.Add((name, string.Join('\n', data)));
            }
        }

        return events;
    }
}
