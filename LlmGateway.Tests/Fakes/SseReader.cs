using System.Runtime.CompilerServices;
using System.Text;

namespace LlmGateway.Tests.Fakes;

/// <summary>One server-sent event as a test sees it: the <c>event:</c> name (null for OpenAI) and the <c>data:</c> text.</summary>
public sealed record SseMessage(string? Event, string Data);

/// <summary>Reads SSE off a response as it arrives, one event at a time, for asserting on streams in tests.</summary>
public static class SseReader
{
    public static async IAsyncEnumerable<SseMessage> ReadAsync(
        HttpResponseMessage response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        string? name = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0 || name is not null)
                    yield return new SseMessage(name, data.ToString());
                name = null;
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
                name = line["event:".Length..].Trim();
            else if (line.StartsWith("data:", StringComparison.Ordinal))
                data.Append(data.Length > 0 ? "\n" : "").Append(line["data:".Length..].TrimStart());
        }
    }

    public static async Task<List<SseMessage>> ReadAllAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var messages = new List<SseMessage>();
        await foreach (var message in ReadAsync(response, cancellationToken))
            messages.Add(message);
        return messages;
    }
}
