using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Proxy;

namespace LlmGateway.Api.Caching;

/// <summary>Answers a request from a cached body: as it is, or as a stream with the same text, tool calls and usage.</summary>
public static class CacheReplay
{
    public static async Task WriteAsync(ProxyContext proxy, CachedResponse cached, bool stream, bool includeUsage)
    {
        var http = proxy.Http;
        ClientResponse.Start(proxy, stream);
        http.Response.Headers["x-gateway-cache"] = "hit";
        http.Response.Headers["x-gateway-cost-usd"] = "0";
        if (!stream)
        {
            http.Response.ContentLength = cached.Body.Length;
            await http.Response.Body.WriteAsync(cached.Body, http.RequestAborted);
            return;
        }

        var body = JsonNode.Parse(cached.Body)!.AsObject();
        if (proxy.Format == ClientFormat.Anthropic)
        {
            foreach (var (name, data) in AnthropicEvents(body))
            {
                ClientResponse.WriteEvent(http, name, data.ToJsonString());
            }
        }
        else
        {
            foreach (var chunk in OpenAiChunks(body, includeUsage))
            {
                ClientResponse.WriteData(http, chunk.ToJsonString());
            }

            ClientResponse.WriteDone(http);
        }

        await ClientResponse.FlushAsync(http);
    }

    /// <summary>Per choice: the role, the reasoning, the text, each tool call, the finish; then the usage chunk if asked.</summary>
    public static IEnumerable<JsonObject> OpenAiChunks(JsonObject completion, bool includeUsage)
    {
        JsonObject Chunk(int index, JsonObject delta, JsonNode? finish = null)
        {
            var chunk = new JsonObject
            {
                ["id"] = completion["id"]?.DeepClone(),
                ["object"] = "chat.completion.chunk",
                ["created"] = completion["created"]?.DeepClone(),
                ["model"] = completion["model"]?.DeepClone(),
            };
            if (completion["system_fingerprint"] is { } fingerprint)
            {
                chunk["system_fingerprint"] = fingerprint.DeepClone();
            }

            chunk["choices"] = new JsonArray(new JsonObject { ["index"] = index, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finish });
            return chunk;
        }

        foreach (var choice in completion["choices"]?.AsArray() ?? [])
        {
            var index = choice?["index"]?.GetValue<int>() ?? 0;
            var message = choice?["message"] as JsonObject ?? [];
            yield return Chunk(index, new JsonObject { ["role"] = message["role"]?.DeepClone() ?? "assistant", ["content"] = "" });
            foreach (var field in new[] { "reasoning_content", "content", "refusal" })
            {
                if (message[field] is JsonValue text && text.GetValue<string>() is { Length: > 0 } value)
                {
                    yield return Chunk(index, new JsonObject { [field] = value });
                }
            }

            var calls = message["tool_calls"]?.AsArray() ?? [];
            for (var i = 0; i < calls.Count; i++)
            {
                var call = calls[i]!;
                yield return Chunk(index, new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["index"] = i,
                        ["id"] = call["id"]?.DeepClone(),
                        ["type"] = call["type"]?.DeepClone() ?? "function",
                        ["function"] = call["function"]?.DeepClone(),
                    }),
                });
            }

            yield return Chunk(index, [], choice?["finish_reason"]?.DeepClone() ?? "stop");
        }

        if (includeUsage)
        {
            var last = Chunk(0, []);
            last["choices"] = new JsonArray();
            last["usage"] = completion["usage"]?.DeepClone();
            yield return last;
        }
    }

    /// <summary>message_start, then start/delta/stop for each content block, message_delta with the stop reason and usage, message_stop.</summary>
    public static IEnumerable<(string Event, JsonObject Data)> AnthropicEvents(JsonObject message)
    {
        var usage = message["usage"] as JsonObject ?? [];
        var start = new JsonObject();
        foreach (var (key, value) in message)
        {
            start[key] = key switch
            {
                "content" => new JsonArray(),
                "stop_reason" or "stop_sequence" => null,
                _ => value?.DeepClone(),
            };
        }

        yield return ("message_start", new JsonObject { ["type"] = "message_start", ["message"] = start });
        var blocks = message["content"]?.AsArray() ?? [];
        for (var index = 0; index < blocks.Count; index++)
        {
            if (blocks[index] is not JsonObject block)
            {
                continue;
            }

            var type = block["type"]?.GetValue<string>();
            var (empty, delta) = type switch
            {
                "text" => (new JsonObject { ["type"] = "text", ["text"] = "" },
                    new JsonObject { ["type"] = "text_delta", ["text"] = block["text"]?.DeepClone() }),
                "thinking" => (new JsonObject { ["type"] = "thinking", ["thinking"] = "" },
                    new JsonObject { ["type"] = "thinking_delta", ["thinking"] = block["thinking"]?.DeepClone() }),
                "tool_use" => (new JsonObject { ["type"] = "tool_use", ["id"] = block["id"]?.DeepClone(), ["name"] = block["name"]?.DeepClone(), ["input"] = new JsonObject() },
                    new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = block["input"]?.ToJsonString() ?? "{}" }),
                _ => ((JsonObject)block.DeepClone(), null),
            };
            yield return ("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = empty });
            if (delta is not null)
            {
                yield return ("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = delta });
            }

            if (type == "thinking" && block["signature"] is { } signature)
            {
                yield return ("content_block_delta", new JsonObject
                {
                    ["type"] = "content_block_delta", ["index"] = index,
                    ["delta"] = new JsonObject { ["type"] = "signature_delta", ["signature"] = signature.DeepClone() },
                });
            }

            yield return ("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index });
        }

        yield return ("message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = message["stop_reason"]?.DeepClone(), ["stop_sequence"] = message["stop_sequence"]?.DeepClone() },
            ["usage"] = usage.DeepClone(),
        });
        yield return ("message_stop", new JsonObject { ["type"] = "message_stop" });
    }
}
