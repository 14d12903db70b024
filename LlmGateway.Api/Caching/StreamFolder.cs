using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Caching;

/// <summary>
/// Folds a stream as the client received it into the non-stream body of the same API, so a streamed answer can be
/// cached once and replayed either way. Null when the stream is not a complete, error-free answer.
/// </summary>
public static class StreamFolder
{
    public static JsonObject? FoldOpenAi(ReadOnlySpan<byte> sse, TokenUsage usage)
    {
        JsonObject? completion = null;
        var choices = new SortedDictionary<int, ChoiceParts>();
        JsonNode? usageNode = null;
        var done = false;
        foreach (var (_, data) in Events(sse))
        {
            if (data == "[DONE]")
            {
                done = true;
                continue;
            }

            if (JsonNode.Parse(data) is not JsonObject chunk || chunk.ContainsKey("error"))
            {
                return null;
            }

            completion ??= new JsonObject
            {
                ["id"] = chunk["id"]?.DeepClone(),
                ["object"] = "chat.completion",
                ["created"] = chunk["created"]?.DeepClone(),
                ["model"] = chunk["model"]?.DeepClone(),
            };
            if (chunk["system_fingerprint"] is { } fingerprint && !completion.ContainsKey("system_fingerprint"))
            {
                completion["system_fingerprint"] = fingerprint.DeepClone();
            }

            if (chunk["usage"] is JsonObject chunkUsage)
            {
                usageNode = chunkUsage.DeepClone();
            }

            foreach (var choice in chunk["choices"]?.AsArray() ?? [])
            {
                var index = choice?["index"]?.GetValue<int>() ?? 0;
                if (!choices.TryGetValue(index, out var parts))
                {
                    choices[index] = parts = new ChoiceParts();
                }

                parts.Add(choice!);
            }
        }

        if (!done || completion is null || choices.Count == 0)
        {
            return null;
        }

        completion["choices"] = new JsonArray([.. choices.Select(c => (JsonNode)c.Value.ToChoice(c.Key))]);
        completion["usage"] = usageNode ?? OpenAiUsage(usage);
        return completion;
    }

    public static JsonObject? FoldAnthropic(ReadOnlySpan<byte> sse)
    {
        JsonObject? message = null;
        var blocks = new SortedDictionary<int, JsonObject>();
        var partialJson = new Dictionary<int, StringBuilder>();
        var stopped = false;
        foreach (var (name, data) in Events(sse))
        {
            if (JsonNode.Parse(data) is not JsonObject body)
            {
                return null;
            }

            switch (name ?? body["type"]?.GetValue<string>())
            {
                case "message_start":
                    message = body["message"]?.DeepClone() as JsonObject;
                    break;
                case "content_block_start":
                    blocks[Index(body)] = body["content_block"]?.DeepClone() as JsonObject ?? [];
                    break;
                case "content_block_delta" when blocks.TryGetValue(Index(body), out var block):
                    AppendDelta(block, body["delta"] as JsonObject, partialJson, Index(body));
                    break;
                case "message_delta" when message is not null:
                    foreach (var (key, value) in body["delta"]?.AsObject() ?? [])
                    {
                        message[key] = value?.DeepClone();
                    }

                    if (message["usage"] is not JsonObject merged)
                    {
                        message["usage"] = merged = [];
                    }

                    foreach (var (key, value) in body["usage"]?.AsObject() ?? [])
                    {
                        merged[key] = value?.DeepClone();
                    }

                    break;
                case "message_stop":
                    stopped = true;
                    break;
                case "error":
                    return null;
            }
        }

        if (!stopped || message is null)
        {
            return null;
        }

        foreach (var (index, json) in partialJson)
        {
            blocks[index]["input"] = json.Length == 0 ? new JsonObject() : JsonNode.Parse(json.ToString());
        }

        message["content"] = new JsonArray([.. blocks.Values.Select(b => (JsonNode)b)]);
        return message;
    }

    public static JsonObject OpenAiUsage(TokenUsage usage) => new()
    {
        ["prompt_tokens"] = usage.PromptTokens,
        ["completion_tokens"] = usage.CompletionTokens,
        ["total_tokens"] = usage.TotalTokens,
    };

    /// <summary>The (event name, data) pairs of an SSE byte stream; comments and empty data skipped.</summary>
    public static List<(string? Event, string Data)> Events(ReadOnlySpan<byte> sse)
    {
        var events = new List<(string?, string)>();
        string? name = null;
        var data = new StringBuilder();
        foreach (var raw in Encoding.UTF8.GetString(sse).Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    events.Add((name, data.ToString()));
                }

                name = null;
                data.Clear();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                if (data.Length > 0)
                {
                    data.Append('\n');
                }

                data.Append(line.AsSpan(5).TrimStart(' '));
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line[6..].Trim();
            }
        }

        if (data.Length > 0)
        {
            events.Add((name, data.ToString()));
        }

        return events;
    }

    private static int Index(JsonObject body) => body["index"]?.GetValue<int>() ?? 0;

    private static void AppendDelta(JsonObject block, JsonObject? delta, Dictionary<int, StringBuilder> partialJson, int index)
    {
        switch (delta?["type"]?.GetValue<string>())
        {
            case "text_delta":
                block["text"] = (block["text"]?.GetValue<string>() ?? "") + delta["text"]?.GetValue<string>();
                break;
            case "thinking_delta":
                block["thinking"] = (block["thinking"]?.GetValue<string>() ?? "") + delta["thinking"]?.GetValue<string>();
                break;
            case "signature_delta":
                block["signature"] = (block["signature"]?.GetValue<string>() ?? "") + delta["signature"]?.GetValue<string>();
                break;
            case "input_json_delta":
                if (!partialJson.TryGetValue(index, out var json))
                {
                    partialJson[index] = json = new StringBuilder();
                }

                json.Append(delta["partial_json"]?.GetValue<string>());
                break;
        }
    }

    /// <summary>One choice as its deltas build it up.</summary>
    private sealed class ChoiceParts
    {
        private readonly StringBuilder content = new();
        private readonly StringBuilder reasoning = new();
        private readonly StringBuilder refusal = new();
        private readonly SortedDictionary<int, (JsonObject Call, StringBuilder Arguments)> toolCalls = [];
        private string role = "assistant";
        private bool sawContent;
        private JsonNode? finishReason;

        public void Add(JsonNode choice)
        {
            if (choice["finish_reason"] is { } finish)
            {
                finishReason = finish.DeepClone();
            }

            if (choice["delta"] is not JsonObject delta)
            {
                return;
            }

            if (delta["role"]?.GetValue<string>() is { } r)
            {
                role = r;
            }

            if (delta["content"] is JsonValue text)
            {
                sawContent = true;
                content.Append(text.GetValue<string>());
            }

            reasoning.Append(delta["reasoning_content"]?.GetValue<string>());
            refusal.Append(delta["refusal"]?.GetValue<string>());
            foreach (var call in delta["tool_calls"]?.AsArray() ?? [])
            {
                var index = call?["index"]?.GetValue<int>() ?? 0;
                if (!toolCalls.TryGetValue(index, out var entry))
                {
                    toolCalls[index] = entry = (new JsonObject { ["id"] = null, ["type"] = "function" }, new StringBuilder());
                }

                if (call!["id"] is { } id)
                {
                    entry.Call["id"] = id.DeepClone();
                }

                if (call["function"]?["name"]?.GetValue<string>() is { } name)
                {
                    entry.Call["name"] = name;
                }

                entry.Arguments.Append(call["function"]?["arguments"]?.GetValue<string>());
            }
        }

        public JsonObject ToChoice(int index)
        {
            var message = new JsonObject { ["role"] = role, ["content"] = sawContent || toolCalls.Count == 0 ? content.ToString() : null };
            if (reasoning.Length > 0)
            {
                message["reasoning_content"] = reasoning.ToString();
            }

            if (refusal.Length > 0)
            {
                message["refusal"] = refusal.ToString();
            }

            if (toolCalls.Count > 0)
            {
                message["tool_calls"] = new JsonArray([.. toolCalls.Values.Select(t => (JsonNode)new JsonObject
                {
                    ["id"] = t.Call["id"]?.DeepClone(),
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = t.Call["name"]?.DeepClone(), ["arguments"] = t.Arguments.ToString() },
                })]);
            }

            return new JsonObject { ["index"] = index, ["message"] = message, ["logprobs"] = null, ["finish_reason"] = finishReason };
        }
    }
}
