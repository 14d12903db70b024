using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Caching;

/// <summary>What a test saw of one answer: status, the cache header, and the text and usage whatever the format.</summary>
public sealed record CacheAnswer(HttpStatusCode Status, string? Cache, string Text, JsonObject? Usage, string Body, string? RequestId, string? Cost);

/// <summary>Requests with a body written as raw JSON (so key order and whitespace are the test's), and their answers read.</summary>
internal static class CacheCalls
{
    public static string ChatBody(string model, string prompt, bool stream = false, string extra = "") =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"{{prompt}}"}],"max_tokens":50,"temperature":0{{(stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "")}}{{extra}}}""";

    public static string MessagesBody(string model, string prompt, bool stream = false, string extra = "") =>
        $$"""{"model":"{{model}}","max_tokens":50,"messages":[{"role":"user","content":"{{prompt}}"}]{{(stream ? ",\"stream\":true" : "")}}{{extra}}}""";

    public static Task<CacheAnswer> ChatAsync(GatewayApiHost api, string key, string body, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(api, key, "/v1/chat/completions", body, configure);

    public static Task<CacheAnswer> MessagesAsync(GatewayApiHost api, string key, string body) =>
        SendAsync(api, key, "/v1/messages", body, null);

    public static async Task<CacheAnswer> SendAsync(GatewayApiHost api, string key, string path, string body, Action<HttpRequestMessage>? configure)
    {
        using var client = api.CreateLoopbackClient(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        configure?.Invoke(request);
        var ct = TestContext.Current.CancellationToken;
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var cache = Header(response, "x-gateway-cache");
        var requestId = Header(response, "x-request-id");
        var cost = Header(response, "x-gateway-cost-usd");
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            var events = await SseReader.ReadAllAsync(response, ct);
            var (text, usage) = path == "/v1/messages" ? ReadAnthropicStream(events) : ReadOpenAiStream(events);
            return new CacheAnswer(response.StatusCode, cache, text, usage, string.Join("\n", events.Select(e => e.Data)), requestId, cost);
        }

        var raw = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.OK || path == "/v1/embeddings")
        {
            return new CacheAnswer(response.StatusCode, cache, "", null, raw, requestId, cost);
        }

        var json = JsonNode.Parse(raw)!.AsObject();
        var answer = path == "/v1/messages"
            ? string.Concat(json["content"]!.AsArray().Where(b => (string?)b!["type"] == "text").Select(b => (string?)b!["text"]))
            : (string?)json["choices"]![0]!["message"]!["content"] ?? "";
        return new CacheAnswer(response.StatusCode, cache, answer, Normalise(json["usage"] as JsonObject, path), raw, requestId, cost);
    }

    private static (string, JsonObject?) ReadOpenAiStream(List<SseMessage> events)
    {
        var text = new StringBuilder();
        JsonObject? usage = null;
        foreach (var message in events.Where(e => e.Data != "[DONE]"))
        {
            var chunk = JsonNode.Parse(message.Data)!.AsObject();
            foreach (var choice in chunk["choices"]!.AsArray())
                text.Append((string?)choice!["delta"]?["content"]);
            if (chunk["usage"] is JsonObject u)
                usage = Normalise(u, "/v1/chat/completions");
        }

        Assert.Equal("[DONE]", events[^1].Data);
        return (text.ToString(), usage);
    }

    private static (string, JsonObject?) ReadAnthropicStream(List<SseMessage> events)
    {
        var text = new StringBuilder();
        long input = 0, output = 0;
        foreach (var message in events)
        {
            var data = JsonNode.Parse(message.Data)!.AsObject();
            switch (message.Event)
            {
                case "message_start":
                    input = (long?)data["message"]!["usage"]?["input_tokens"] ?? 0;
                    break;
                case "content_block_delta" when (string?)data["delta"]!["type"] == "text_delta":
                    text.Append((string?)data["delta"]!["text"]);
                    break;
                case "message_delta":
                    output = (long?)data["usage"]?["output_tokens"] ?? output;
                    break;
            }
        }

        Assert.Equal("message_stop", events[^1].Event);
        return (text.ToString(), new JsonObject { ["input_tokens"] = input, ["output_tokens"] = output });
    }

    /// <summary>The token counts only, so a usage object compares equal across formats of the same API.</summary>
    private static JsonObject? Normalise(JsonObject? usage, string path) => usage is null ? null : path == "/v1/messages"
        ? new JsonObject { ["input_tokens"] = (long?)usage["input_tokens"], ["output_tokens"] = (long?)usage["output_tokens"] }
        : new JsonObject
        {
            ["prompt_tokens"] = (long?)usage["prompt_tokens"], ["completion_tokens"] = (long?)usage["completion_tokens"],
            ["total_tokens"] = (long?)usage["total_tokens"],
        };

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    public static void NoCacheHeader(HttpRequestMessage request) => request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };

    public static void NoStoreHeader(HttpRequestMessage request) => request.Headers.CacheControl = new CacheControlHeaderValue { NoStore = true };
}
