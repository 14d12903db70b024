using System.Text.Json;

namespace LlmGateway.Api.Contracts;

/// <summary>A tool of a request's <c>tools</c> array that is not a function or custom tool: its index, its type decoded, its <c>max_uses</c>.</summary>
public readonly record struct TypedTool(int Index, string Type, long? MaxUses);

/// <summary>
/// The tools of a <c>tools</c> array a provider may run itself (web search and fetch, file search, code execution, computer
/// use, image generation, remote MCP), with their types as the provider reads them — decoded, since
/// <c>"\u0077eb_search"</c> is a web search to it. Function tools only, the common case, cost a byte search and no parse.
/// Read once per body (<see cref="JsonBody.HostedTools"/>) for the premium check, the reservation's fees and the bound
/// written upstream.
/// </summary>
public static class HostedToolTypes
{
    // Every hosted tool's type starts with one of these; their absence, with no escape that could spell one, means none.
    private static readonly byte[][] Words =
        [.. new[] { "web_", "file_search", "code_", "computer_use", "image_generation", "mcp" }.Select(w => System.Text.Encoding.UTF8.GetBytes(w))];

    /// <summary>Every tool of <paramref name="tools"/> (a JSON array) whose type is a string other than <c>function</c> and <c>custom</c>.</summary>
    public static IReadOnlyList<TypedTool> Of(ReadOnlyMemory<byte> tools)
    {
        if (!MayHoldOne(tools.Span))
        {
            return [];
        }

        var found = new List<TypedTool>();
        using var document = JsonDocument.Parse(tools);
        var index = 0;
        foreach (var tool in document.RootElement.EnumerateArray())
        {
            if (tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                && type.GetString() is { } name and not "function" and not "custom")
            {
                long? uses = tool.TryGetProperty("max_uses", out var max) && max.ValueKind == JsonValueKind.Number && max.TryGetInt64(out var n) && n >= 0 ? n : null;
                found.Add(new TypedTool(index, name, uses));
            }

            index++;
        }

        return found;
    }

    private static bool MayHoldOne(ReadOnlySpan<byte> tools)
    {
        foreach (var word in Words)
        {
            if (tools.IndexOf(word) >= 0)
            {
                return true;
            }
        }

        return JsonBody.HasUnicodeEscape(tools);
    }
}
