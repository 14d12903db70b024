using System.Text.Json.Nodes;

namespace LlmGateway.Tests.Fakes;

/// <summary>
/// OpenAI's legacy <c>POST /v1/completions</c>: one choice per prompt × <c>n</c>, numbered as OpenAI numbers them (prompt
/// <c>i</c>'s answer <c>j</c> is <c>index</c> i × n + j), each answering the scripted text; streamed or not, with usage.
/// </summary>
internal static class FakeOpenAiCompletions
{
    public static Task CompletionsAsync(FakeExchange exchange)
    {
        var script = exchange.Script;
        var model = exchange.BodyString("model") ?? "unknown";
        var text = script.Text ?? $"Hello from fake-openai model {model}";
        var choices = Prompts(exchange.Body["prompt"]) * (exchange.Body["n"] is JsonValue n && n.TryGetValue<int>(out var count) ? count : 1);
        var (prompt, completion, _, _) = exchange.Usage(text);
        var usage = new JsonObject { ["prompt_tokens"] = prompt, ["completion_tokens"] = completion * choices, ["total_tokens"] = prompt + completion * choices };
        var id = $"cmpl-fake{Guid.NewGuid():N}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        JsonObject Envelope(JsonArray items) => new()
        {
            ["id"] = id, ["object"] = "text_completion", ["created"] = created, ["model"] = model, ["choices"] = items,
        };
        if (!exchange.IsStream)
        {
            var body = Envelope(new JsonArray([.. Enumerable.Range(0, choices).Select(i => Choice(i, text, "stop"))]));
            body["usage"] = usage;
            return exchange.WriteJsonAsync(body);
        }

        var includeUsage = exchange.Body["stream_options"] is JsonObject options && options["include_usage"] is JsonValue flag && flag.TryGetValue<bool>(out var on) && on;
        return exchange.StreamAsync(Chunks(Envelope, choices, text, script, includeUsage ? usage : null),
            () => new SseEvent(SseKind.Closing, null, new JsonObject { ["error"] = new JsonObject { ["message"] = "fake in-band error", ["type"] = "server_error" } }));
    }

    private static IEnumerable<SseEvent> Chunks(Func<JsonArray, JsonObject> envelope, int choices, string text, FakeResponse script, JsonObject? usage)
    {
        for (var index = 0; index < choices; index++)
        {
            foreach (var piece in FakeText.Split(text, script.ChunkCount))
                yield return new(SseKind.Delta, null, envelope(new JsonArray(Choice(index, piece, null))));
            yield return new(SseKind.Closing, null, envelope(new JsonArray(Choice(index, "", "stop"))));
        }
        if (usage is not null)
        {
            var last = envelope([]);
            last["usage"] = usage;
            yield return new(SseKind.Closing, null, last);
        }
        yield return new(SseKind.Closing, null, JsonValue.Create("[DONE]"));
    }

    private static JsonObject Choice(int index, string text, string? finish) => new()
    {
        ["text"] = text, ["index"] = index, ["logprobs"] = null, ["finish_reason"] = finish,
    };

    /// <summary>A string or token ids: one prompt; an array of strings or of token-id arrays: one each.</summary>
    private static int Prompts(JsonNode? prompt) =>
        prompt is JsonArray { Count: > 0 } items && (items[0] is JsonArray || items[0]!.GetValueKind() == System.Text.Json.JsonValueKind.String) ? items.Count : 1;
}
