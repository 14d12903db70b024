using System.Text.Json.Nodes;

namespace LlmGateway.Tests.Fakes;

/// <summary>The Anthropic side of the fake: <c>POST /v1/messages</c>, streamed or not, its token count, and its error envelope.</summary>
internal static class FakeAnthropic
{
    /// <summary><c>POST /v1/messages/count_tokens</c>: the scripted prompt tokens, else the fake's deterministic count.</summary>
    public static Task CountTokensAsync(FakeExchange exchange) =>
        exchange.WriteJsonAsync(new JsonObject { ["input_tokens"] = exchange.Usage("").Prompt });

    public static Task MessagesAsync(FakeExchange exchange)
    {
        var script = exchange.Script;
        var model = exchange.BodyString("model") ?? "unknown";
        var text = exchange.AnswerText($"Hello from fake-anthropic model {model}");
        var usage = exchange.Usage(text);
        var stop = script.StopReason ?? (script.ToolCalls.Count > 0 ? "tool_use" : "end_turn");
        var id = $"msg_fake{Guid.NewGuid():N}";
        if (!exchange.IsStream)
        {
            var message = Message(id, model, stop, WithServerTools(Usage(usage.Prompt, usage.Completion, usage.Cached, usage.CacheCreation, script.CacheCreation1hTokens), script));
            var content = message["content"]!.AsArray();
            if (script.Thinking is { } thinking)
                content.Add(new JsonObject { ["type"] = "thinking", ["thinking"] = thinking, ["signature"] = script.ThinkingSignature });
            if (text.Length > 0)
                content.Add(new JsonObject { ["type"] = "text", ["text"] = text });
            foreach (var (callId, name, arguments) in script.ToolCalls)
                content.Add(new JsonObject
                {
                    ["type"] = "tool_use", ["id"] = callId, ["name"] = name, ["input"] = Input(arguments), ["caller"] = DirectCaller(),
                });
            return exchange.WriteJsonAsync(message);
        }
        return exchange.StreamAsync(Events(id, model, text, script, stop, usage), () => InBandError(script));
    }

    private static IEnumerable<SseEvent> Events(
        string id, string model, string text, FakeResponse script, string stop, (int Prompt, int Completion, int Cached, int CacheCreation) usage)
    {
        // Like the real API, message_start carries the input side and output_tokens 1; message_delta the final output count.
        var startUsage = Usage(usage.Prompt, Math.Min(1, usage.Completion), usage.Cached, usage.CacheCreation, script.CacheCreation1hTokens);
        yield return Event(SseKind.Frame, "message_start", new() { ["message"] = Message(id, model, null, startUsage) });
        var index = 0;
        if (script.Thinking is { } thinking)
        {
            yield return Event(SseKind.Frame, "content_block_start", new()
            {
                ["index"] = index, ["content_block"] = new JsonObject { ["type"] = "thinking", ["thinking"] = "", ["signature"] = "" },
            });
            yield return Delta(index, new() { ["type"] = "thinking_delta", ["thinking"] = thinking });
            yield return Delta(index, new() { ["type"] = "signature_delta", ["signature"] = script.ThinkingSignature });
            yield return Event(SseKind.Frame, "content_block_stop", new() { ["index"] = index++ });
        }
        if (text.Length > 0)
        {
            yield return Event(SseKind.Frame, "content_block_start", new()
            {
                ["index"] = index, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" },
            });
        }
        yield return Event(SseKind.Frame, "ping", []);
        if (text.Length > 0)
        {
            foreach (var piece in FakeText.Split(text, script.ChunkCount))
                yield return Delta(index, new() { ["type"] = "text_delta", ["text"] = piece });
            yield return Event(SseKind.Frame, "content_block_stop", new() { ["index"] = index++ });
        }
        foreach (var (callId, name, arguments) in script.ToolCalls)
        {
            yield return Event(SseKind.Frame, "content_block_start", new()
            {
                ["index"] = index,
                ["content_block"] = new JsonObject
                {
                    ["type"] = "tool_use", ["id"] = callId, ["name"] = name, ["input"] = new JsonObject(), ["caller"] = DirectCaller(),
                },
            });
            yield return Delta(index, new() { ["type"] = "input_json_delta", ["partial_json"] = "" });
            foreach (var piece in FakeText.Split(arguments, 2))
                yield return Delta(index, new() { ["type"] = "input_json_delta", ["partial_json"] = piece });
            yield return Event(SseKind.Frame, "content_block_stop", new() { ["index"] = index++ });
        }
        yield return Event(SseKind.Closing, "message_delta", new()
        {
            ["delta"] = new JsonObject { ["stop_reason"] = stop, ["stop_sequence"] = null },
            ["usage"] = WithServerTools(new JsonObject { ["output_tokens"] = usage.Completion }, script),
        });
        yield return Event(SseKind.Closing, "message_stop", []);
    }

    // Anthropic's input is always an object; a scripted invalid JSON string still streams as-is.
    private static JsonNode Input(string arguments)
    {
        try
        {
            return JsonNode.Parse(arguments) as JsonObject ?? new JsonObject();
        }
        catch (System.Text.Json.JsonException)
        {
            return new JsonObject();
        }
    }

    // Current API responses say who called the tool; SDK 13.x validation requires it.
    private static JsonObject DirectCaller() => new() { ["type"] = "direct" };

    private static SseEvent Delta(int index, JsonObject delta) =>
        Event(SseKind.Delta, "content_block_delta", new() { ["index"] = index, ["delta"] = delta });

    private static SseEvent Event(SseKind kind, string name, JsonObject data)
    {
        // The data JSON repeats the event name in "type", first, as the API sends it.
        var body = new JsonObject { ["type"] = name };
        foreach (var (key, value) in data.ToList())
        {
            data.Remove(key);
            body[key] = value;
        }
        return new(kind, name, body);
    }

    private static JsonObject Message(string id, string model, string? stop, JsonObject usage) => new()
    {
        ["id"] = id, ["type"] = "message", ["role"] = "assistant", ["model"] = model,
        ["content"] = new JsonArray(), ["stop_reason"] = stop, ["stop_sequence"] = null, ["usage"] = usage,
    };

    private static JsonObject WithServerTools(JsonObject usage, FakeResponse script)
    {
        if (script.WebSearchRequests > 0 || script.WebFetchRequests > 0)
            usage["server_tool_use"] = new JsonObject { ["web_search_requests"] = script.WebSearchRequests, ["web_fetch_requests"] = script.WebFetchRequests };
        return usage;
    }

    // Like the real API, the writes are split by time to live in "cache_creation" too.
    private static JsonObject Usage(int input, int output, int cacheRead, int cacheCreation, int? cacheCreation1h) => new()
    {
        ["input_tokens"] = input, ["output_tokens"] = output,
        ["cache_creation_input_tokens"] = cacheCreation, ["cache_read_input_tokens"] = cacheRead,
        ["cache_creation"] = new JsonObject
        {
            ["ephemeral_5m_input_tokens"] = cacheCreation - (cacheCreation1h ?? 0), ["ephemeral_1h_input_tokens"] = cacheCreation1h ?? 0,
        },
        ["service_tier"] = "standard",
    };

    public static Task ErrorAsync(FakeExchange exchange)
    {
        var script = exchange.Script;
        var type = script.ErrorType ?? script.Status switch
        {
            401 => "authentication_error",
            402 => "billing_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            504 => "timeout_error",
            529 => "overloaded_error",
            >= 500 => "api_error",
            _ => "invalid_request_error",
        };
        var body = ErrorBody(type, script.ErrorMessage ?? $"Fake {type} ({script.Status}).");
        body["request_id"] = $"req_fake{Guid.NewGuid():N}";
        return exchange.WriteJsonAsync(body, script.Status);
    }

    private static SseEvent InBandError(FakeResponse script) =>
        new(SseKind.Closing, "error", ErrorBody(script.ErrorType ?? "overloaded_error", script.ErrorMessage ?? "Overloaded"));

    private static JsonObject ErrorBody(string type, string message) => new()
    {
        ["type"] = "error", ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
    };
}
