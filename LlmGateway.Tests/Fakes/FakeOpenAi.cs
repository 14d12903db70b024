using System.Text.Json.Nodes;

namespace LlmGateway.Tests.Fakes;

/// <summary>The OpenAI (and Azure OpenAI) side of the fake: chat completions, embeddings, models, errors.</summary>
internal static class FakeOpenAi
{
    public static Task ChatAsync(FakeExchange exchange, string? deployment)
    {
        var script = exchange.Script;
        var model = exchange.BodyString("model") ?? deployment ?? "unknown";
        var text = exchange.AnswerText($"Hello from fake-openai model {model}");
        var (prompt, completion, cached, _) = exchange.Usage(text);
        var finish = script.FinishReason ?? (script.ToolCalls.Count > 0 ? "tool_calls" : "stop");
        var id = $"chatcmpl-fake{Guid.NewGuid():N}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // n answers, as OpenAI gives them: choices 0..n-1, each billed its output, the prompt once.
        var n = exchange.Body["n"] is JsonValue count && count.TryGetValue<int>(out var asked) && asked > 1 ? asked : 1;
        var usage = Usage(prompt, completion * n, cached, script.AudioPromptTokens, script.AudioCompletionTokens);
        if (!exchange.IsStream)
            return exchange.WriteJsonAsync(Choices(Completion(id, created, model, text, script.ToolCalls, finish, usage), n));

        var includeUsage = exchange.Body["stream_options"] is JsonObject options
            && options["include_usage"] is JsonValue flag && flag.TryGetValue<bool>(out var on) && on;
        var chunks = ChatChunks(id, created, model, text, script, finish, includeUsage ? usage : null);
        return exchange.StreamAsync(n == 1 ? chunks : ChunksOfEachChoice(chunks.ToList(), n), () => InBandError(script));
    }

    private static JsonObject Choices(JsonObject completion, int n)
    {
        var choices = completion["choices"]!.AsArray();
        for (var index = 1; index < n; index++)
        {
            var copy = choices[0]!.DeepClone();
            copy["index"] = index;
            choices.Add(copy);
        }

        return completion;
    }

    /// <summary>Each choice's chunks in turn (numbered by its index), then the usage chunk and [DONE].</summary>
    private static IEnumerable<SseEvent> ChunksOfEachChoice(List<SseEvent> single, int n)
    {
        var choiceChunks = single.Where(e => e.Data is JsonObject chunk && chunk["choices"] is JsonArray { Count: > 0 }).ToList();
        for (var index = 0; index < n; index++)
        {
            foreach (var chunk in choiceChunks)
            {
                var copy = chunk.Data.DeepClone();
                copy["choices"]![0]!["index"] = index;
                yield return chunk with { Data = copy };
            }
        }

        foreach (var rest in single.Except(choiceChunks))
            yield return rest;
    }

    private static IEnumerable<SseEvent> ChatChunks(
        string id, long created, string model, string text, FakeResponse script, string finish, JsonObject? usage)
    {
        JsonObject Chunk(JsonObject delta, string? finishReason = null) => new()
        {
            ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = model,
            ["system_fingerprint"] = "fp_fake",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason,
            }),
        };

        yield return new(SseKind.Frame, null, Chunk(new() { ["role"] = "assistant", ["content"] = "" }));
        foreach (var piece in FakeText.Split(text, script.ChunkCount))
            yield return new(SseKind.Delta, null, Chunk(new() { ["content"] = piece }));
        for (var index = 0; index < script.ToolCalls.Count; index++)
        {
            var (callId, name, arguments) = script.ToolCalls[index];
            yield return new(SseKind.Frame, null, Chunk(ToolCallDelta(index, new()
            {
                ["id"] = callId, ["type"] = "function", ["function"] = new JsonObject { ["name"] = name, ["arguments"] = "" },
            })));
            foreach (var piece in FakeText.Split(arguments, 2))
                yield return new(SseKind.Delta, null, Chunk(ToolCallDelta(index, new() { ["function"] = new JsonObject { ["arguments"] = piece } })));
        }
        yield return new(SseKind.Closing, null, Chunk([], finish));
        if (usage is not null)
        {
            var last = Chunk([]);
            last["choices"] = new JsonArray();
            last["usage"] = usage;
            yield return new(SseKind.Closing, null, last);
        }
        yield return new(SseKind.Closing, null, JsonValue.Create("[DONE]"));
    }

    private static JsonObject ToolCallDelta(int index, JsonObject call)
    {
        call["index"] = index;
        return new() { ["tool_calls"] = new JsonArray(call) };
    }

    private static JsonObject Completion(
        string id, long created, string model, string text, IReadOnlyList<(string Id, string Name, string ArgumentsJson)> toolCalls,
        string finish, JsonObject usage)
    {
        var message = new JsonObject
        {
            ["role"] = "assistant",
            ["content"] = text.Length == 0 && toolCalls.Count > 0 ? null : text,
            ["refusal"] = null,
            ["annotations"] = new JsonArray(),
        };
        if (toolCalls.Count > 0)
            message["tool_calls"] = new JsonArray(toolCalls.Select(call => (JsonNode)new JsonObject
            {
                ["id"] = call.Id, ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
            }).ToArray());
        return new()
        {
            ["id"] = id, ["object"] = "chat.completion", ["created"] = created, ["model"] = model,
            ["system_fingerprint"] = "fp_fake", ["service_tier"] = "default",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = finish,
            }),
            ["usage"] = usage,
        };
    }

    private static JsonObject Usage(int prompt, int completion, int cached, int audioPrompt, int audioCompletion) => new()
    {
        ["prompt_tokens"] = prompt, ["completion_tokens"] = completion, ["total_tokens"] = prompt + completion,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cached, ["audio_tokens"] = audioPrompt },
        ["completion_tokens_details"] = new JsonObject
        {
            ["reasoning_tokens"] = 0, ["audio_tokens"] = audioCompletion, ["accepted_prediction_tokens"] = 0, ["rejected_prediction_tokens"] = 0,
        },
    };

    public static Task ErrorAsync(FakeExchange exchange)
    {
        var script = exchange.Script;
        var (type, code, message) = script.Status switch
        {
            400 => ("invalid_request_error", null, "Invalid request (fake)."),
            401 => ("invalid_request_error", "invalid_api_key", "Incorrect API key provided (fake)."),
            403 => ("request_forbidden", null, "Request forbidden (fake)."),
            404 => ("invalid_request_error", "model_not_found", "The model does not exist or you do not have access to it (fake)."),
            429 => ("requests", "rate_limit_exceeded", "Rate limit reached (fake). Please try again later."),
            503 => ("server_error", null, "The engine is currently overloaded, please try again later."),
            >= 500 => ("server_error", (string?)null, "The server had an error while processing your request."),
            _ => ("invalid_request_error", null, $"Fake error {script.Status}."),
        };
        return exchange.WriteJsonAsync(
            ErrorBody(script.ErrorMessage ?? message, script.ErrorType ?? type, script.ErrorCode ?? code), script.Status);
    }

    private static SseEvent InBandError(FakeResponse script) => new(SseKind.Closing, null, ErrorBody(
        script.ErrorMessage ?? "The server had an error while processing your request.", script.ErrorType ?? "server_error", script.ErrorCode));

    private static JsonObject ErrorBody(string message, string type, string? code) => new()
    {
        ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = code },
    };
}
