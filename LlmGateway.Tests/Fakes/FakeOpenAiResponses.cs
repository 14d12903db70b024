using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace LlmGateway.Tests.Fakes;

/// <summary>
/// The Responses API side of the fake OpenAI (<c>POST /v1/responses</c>), JSON or SSE: a reasoning item (with
/// <c>encrypted_content</c> when asked for in <c>include</c>) when the request has <c>reasoning</c>, the text as a message,
/// the scripted tool calls as <c>function_call</c> items, usage with cached and reasoning tokens. It remembers the responses
/// it issued (unless <c>store: false</c>) and answers 400 <c>previous_response_not_found</c> for any other previous id.
/// </summary>
internal sealed class FakeOpenAiResponses
{
    private const int ReasoningTokens = 8;

    private readonly ConcurrentDictionary<string, JsonObject> issued = new();

    /// <summary>The ids of the responses this fake issued and stored.</summary>
    public ICollection<string> Issued => issued.Keys;

    public void Forget() => issued.Clear();

    public Task CreateAsync(FakeExchange exchange)
    {
        if (exchange.BodyString("previous_response_id") is { } previous && !issued.ContainsKey(previous))
        {
            return exchange.WriteJsonAsync(Error($"Previous response with id '{previous}' not found.", "previous_response_id", "previous_response_not_found"), 400);
        }

        var script = exchange.Script;
        var model = exchange.BodyString("model") ?? "unknown";
        var text = script.Text ?? $"Hello from fake-openai model {model}";
        var response = Response(exchange, model, text);
        if (exchange.Body["store"] is not JsonValue store || !store.TryGetValue<bool>(out var keep) || keep)
            issued[(string)response["id"]!] = (JsonObject)response.DeepClone();
        if (!exchange.IsStream)
            return exchange.WriteJsonAsync(response);
        return exchange.StreamAsync(Events(response, script), () => new SseEvent(SseKind.Closing, "error", new JsonObject
        {
            ["type"] = "error", ["code"] = script.ErrorCode ?? "server_error",
            ["message"] = script.ErrorMessage ?? "The server had an error while processing your request.", ["param"] = null,
        }));
    }

    private static JsonObject Response(FakeExchange exchange, string model, string text)
    {
        var script = exchange.Script;
        var reasoning = exchange.Body["reasoning"] is JsonObject;
        var output = new JsonArray();
        for (var search = 0; search < script.WebSearchRequests; search++)
            output.Add(new JsonObject
            {
                ["id"] = $"ws_fake{Guid.NewGuid():N}", ["type"] = "web_search_call", ["status"] = "completed",
                ["action"] = new JsonObject { ["type"] = "search", ["query"] = "fake query" },
            });
        for (var search = 0; search < script.FileSearchCalls; search++)
            output.Add(new JsonObject
            {
                ["id"] = $"fs_fake{Guid.NewGuid():N}", ["type"] = "file_search_call", ["status"] = "completed",
                ["queries"] = new JsonArray("fake query"), ["results"] = null,
            });
        foreach (var container in script.CodeInterpreterContainers)
            output.Add(new JsonObject
            {
                ["id"] = $"ci_fake{Guid.NewGuid():N}", ["type"] = "code_interpreter_call", ["status"] = "completed",
                ["code"] = "print(1)", ["container_id"] = container, ["outputs"] = null,
            });
        if (reasoning)
        {
            var item = new JsonObject
            {
                ["id"] = $"rs_fake{Guid.NewGuid():N}", ["type"] = "reasoning",
                ["summary"] = new JsonArray(new JsonObject { ["type"] = "summary_text", ["text"] = "Thinking it over." }),
            };
            if (exchange.Body["include"] is JsonArray include && include.Any(i => (string?)i == "reasoning.encrypted_content"))
                item["encrypted_content"] = $"gAAAAfake{Guid.NewGuid():N}";
            output.Add(item);
        }
        if (text.Length > 0)
            output.Add(new JsonObject
            {
                ["id"] = $"msg_fake{Guid.NewGuid():N}", ["type"] = "message", ["status"] = "completed", ["role"] = "assistant",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = text, ["annotations"] = new JsonArray(), ["logprobs"] = new JsonArray() }),
            });
        foreach (var (callId, name, arguments) in script.ToolCalls)
            output.Add(new JsonObject
            {
                ["id"] = $"fc_fake{Guid.NewGuid():N}", ["type"] = "function_call", ["status"] = "completed",
                ["call_id"] = callId, ["name"] = name, ["arguments"] = arguments,
            });

        var (prompt, completion, cached, _) = exchange.Usage(text);
        var reasoningTokens = reasoning && !script.ZeroUsage ? ReasoningTokens : 0;
        var incomplete = script.FinishReason == "length";
        return new JsonObject
        {
            ["id"] = $"resp_fake{Guid.NewGuid():N}", ["object"] = "response", ["created_at"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["status"] = incomplete ? "incomplete" : "completed", ["error"] = null,
            ["incomplete_details"] = incomplete ? new JsonObject { ["reason"] = "max_output_tokens" } : null,
            ["instructions"] = exchange.Body["instructions"]?.DeepClone(), ["model"] = model, ["output"] = output,
            ["parallel_tool_calls"] = true, ["previous_response_id"] = exchange.BodyString("previous_response_id"),
            ["store"] = exchange.Body["store"]?.DeepClone() ?? true, ["tools"] = exchange.Body["tools"]?.DeepClone() ?? new JsonArray(),
            ["usage"] = new JsonObject
            {
                ["input_tokens"] = prompt, ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = cached },
                ["output_tokens"] = completion + reasoningTokens, ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = reasoningTokens },
                ["total_tokens"] = prompt + completion + reasoningTokens,
            },
        };
    }

    /// <summary>The stream of <paramref name="response"/>: created, each item added/delta/done, then completed or incomplete.</summary>
    private static IEnumerable<SseEvent> Events(JsonObject response, FakeResponse script)
    {
        var sequence = 0;
        SseEvent Event(SseKind kind, string type, JsonObject data)
        {
            var payload = new JsonObject { ["type"] = type, ["sequence_number"] = sequence++ };
            foreach (var (key, value) in data)
                payload[key] = value?.DeepClone();
            return new(kind, type, payload);
        }

        var started = (JsonObject)response.DeepClone();
        started["status"] = "in_progress";
        started["output"] = new JsonArray();
        started["usage"] = null;
        yield return Event(SseKind.Frame, "response.created", new() { ["response"] = started.DeepClone() });
        yield return Event(SseKind.Frame, "response.in_progress", new() { ["response"] = started.DeepClone() });
        var items = response["output"]!.AsArray();
        for (var index = 0; index < items.Count; index++)
        {
            var item = items[index]!.AsObject();
            foreach (var sse in ItemEvents(item, index, script, Event))
                yield return sse;
        }
        var terminal = (string?)response["status"] == "incomplete" ? "response.incomplete" : "response.completed";
        yield return Event(SseKind.Closing, terminal, new() { ["response"] = response.DeepClone() });
    }

    private static IEnumerable<SseEvent> ItemEvents(JsonObject item, int index, FakeResponse script, Func<SseKind, string, JsonObject, SseEvent> Event)
    {
        var id = (string)item["id"]!;
        var added = (JsonObject)item.DeepClone();
        added["status"] = "in_progress";
        switch ((string?)item["type"])
        {
            case "message":
                added["content"] = new JsonArray();
                yield return Event(SseKind.Frame, "response.output_item.added", new() { ["output_index"] = index, ["item"] = added });
                var text = (string)item["content"]![0]!["text"]!;
                var part = new JsonObject { ["type"] = "output_text", ["text"] = "", ["annotations"] = new JsonArray() };
                yield return Event(SseKind.Frame, "response.content_part.added", new() { ["item_id"] = id, ["output_index"] = index, ["content_index"] = 0, ["part"] = part.DeepClone() });
                foreach (var piece in FakeText.Split(text, script.ChunkCount))
                    yield return Event(SseKind.Delta, "response.output_text.delta", new()
                    {
                        ["item_id"] = id, ["output_index"] = index, ["content_index"] = 0, ["delta"] = piece, ["logprobs"] = new JsonArray(),
                    });
                yield return Event(SseKind.Frame, "response.output_text.done", new() { ["item_id"] = id, ["output_index"] = index, ["content_index"] = 0, ["text"] = text });
                part["text"] = text;
                yield return Event(SseKind.Frame, "response.content_part.done", new() { ["item_id"] = id, ["output_index"] = index, ["content_index"] = 0, ["part"] = part.DeepClone() });
                break;
            case "function_call":
                added["arguments"] = "";
                yield return Event(SseKind.Frame, "response.output_item.added", new() { ["output_index"] = index, ["item"] = added });
                foreach (var piece in FakeText.Split((string)item["arguments"]!, 2))
                    yield return Event(SseKind.Delta, "response.function_call_arguments.delta", new() { ["item_id"] = id, ["output_index"] = index, ["delta"] = piece });
                yield return Event(SseKind.Frame, "response.function_call_arguments.done", new()
                {
                    ["item_id"] = id, ["output_index"] = index, ["name"] = item["name"]?.DeepClone(), ["arguments"] = item["arguments"]?.DeepClone(),
                });
                break;
            case "web_search_call" or "file_search_call" or "code_interpreter_call":
                yield return Event(SseKind.Frame, "response.output_item.added", new() { ["output_index"] = index, ["item"] = added });
                yield return Event(SseKind.Frame, $"response.{(string?)item["type"]}.completed", new() { ["item_id"] = id, ["output_index"] = index });
                break;
            default: // reasoning: its summary streamed, its encrypted content in the done item
                added["summary"] = new JsonArray();
                added.Remove("encrypted_content");
                yield return Event(SseKind.Frame, "response.output_item.added", new() { ["output_index"] = index, ["item"] = added });
                yield return Event(SseKind.Frame, "response.reasoning_summary_text.delta", new()
                {
                    ["item_id"] = id, ["output_index"] = index, ["summary_index"] = 0, ["delta"] = item["summary"]![0]!["text"]!.DeepClone(),
                });
                break;
        }
        yield return Event(SseKind.Frame, "response.output_item.done", new() { ["output_index"] = index, ["item"] = item.DeepClone() });
    }

    private static JsonObject Error(string message, string param, string code) => new()
    {
        ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["param"] = param, ["code"] = code },
    };
}
