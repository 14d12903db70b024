using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LlmGateway.Tests.Fakes;

/// <summary>The fake's deterministic token counts and how it cuts text into stream deltas.</summary>
public static partial class FakeText
{
    /// <summary>Prompt tokens: characters of every <c>content</c>/<c>text</c>/<c>system</c>/<c>input</c> string in the body, / 4 rounded up, at least 1.</summary>
    public static int PromptTokens(JsonNode? body) => CountTokens(CollectChars(body, parentKey: null));

    /// <summary>Characters / 4 rounded up, at least 1 — the fake's tokenizer.</summary>
    public static int CountTokens(int chars) => Math.Max(1, (chars + 3) / 4);

    /// <summary>Completion tokens: words of the text plus characters/4 of each tool call's arguments.</summary>
    public static int CompletionTokens(string text, IEnumerable<(string Id, string Name, string ArgumentsJson)> toolCalls) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length
        + toolCalls.Sum(call => CountTokens(call.ArgumentsJson.Length));

    /// <summary>Cuts text into deltas: one per word when <paramref name="count"/> is null, else N even runs of text elements.</summary>
    public static IReadOnlyList<string> Split(string text, int? count)
    {
        if (text.Length == 0)
            return [];
        if (count is null)
        {
            var words = Words().Matches(text).Select(match => match.Value).ToList();
            return words.Count == 0 ? [text] : words;
        }
        // Text elements keep surrogate pairs and combining sequences whole.
        var elements = new List<string>();
        var enumerator = StringInfo.GetTextElementEnumerator(text);
        while (enumerator.MoveNext())
            elements.Add(enumerator.GetTextElement());
        var pieces = Math.Clamp(count.Value, 1, elements.Count);
        return Enumerable.Range(0, pieces)
            .Select(i => string.Concat(elements.Skip(i * elements.Count / pieces).Take((i + 1) * elements.Count / pieces - i * elements.Count / pieces)))
            .ToList();
    }

    private static int CollectChars(JsonNode? node, string? parentKey) => node switch
    {
        JsonObject obj => obj.Sum(pair => CollectChars(pair.Value, pair.Key)),
        JsonArray array => array.Sum(item => CollectChars(item, parentKey)),
        JsonValue value when parentKey is "content" or "text" or "system" or "input" && value.TryGetValue<string>(out var text) => text.Length,
        _ => 0,
    };

    // A word with the whitespace before it, like an upstream token; trailing whitespace joins the last word.
    [GeneratedRegex(@"\s*\S+(\s+$)?")]
    private static partial Regex Words();
}
