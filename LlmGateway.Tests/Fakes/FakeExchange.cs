using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace LlmGateway.Tests.Fakes;

/// <summary>How an SSE event counts toward the scripted faults.</summary>
internal enum SseKind { Frame, Delta, Closing }

internal sealed record SseEvent(SseKind Kind, string? Name, JsonNode Data);

/// <summary>One request being answered: the script, the parsed body, and the writers every handler shares.</summary>
internal sealed class FakeExchange(HttpContext context, FakeResponse script, RecordedRequest request, CancellationToken aborted)
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public FakeResponse Script => script;
    public JsonObject Body { get; } = request.Json ?? [];
    public bool StreamStarted { get; private set; }
    public bool StreamCompleted { get; private set; }

    public bool IsStream => Body["stream"] is JsonValue value && value.TryGetValue<bool>(out var stream) && stream;

    public string? BodyString(string name) =>
        Body[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>The scripted text: "re: " and the last user turn's text when <see cref="FakeResponse.EchoPrompt"/>, else <paramref name="fallback"/>.</summary>
    public string AnswerText(string fallback)
    {
        if (!script.EchoPrompt || Body["messages"] is not JsonArray { Count: > 0 } messages)
            return script.Text ?? fallback;
        var content = messages[^1]!["content"];
        return "re: " + (content is JsonArray parts ? string.Concat(parts.Select(p => (string?)p?["text"])) : (string?)content);
    }

    public (int Prompt, int Completion, int Cached, int CacheCreation) Usage(string text) => script.ZeroUsage
        ? (0, 0, 0, 0)
        : (script.PromptTokens ?? FakeText.PromptTokens(Body),
           script.CompletionTokens ?? FakeText.CompletionTokens(text, script.ToolCalls),
           script.CachedTokens ?? 0,
           script.CacheCreationTokens ?? 0);

    /// <summary>Writes a whole JSON answer; a scripted drop sends half of it and aborts, an empty stream sends nothing.</summary>
    public async Task WriteJsonAsync(JsonNode body, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (status == 200 && script.EmptyStream)
            return;
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString(Json));
        if (status == 200 && script.DropConnectionAfterChunks is not null)
        {
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), aborted);
            await DropAsync();
            return;
        }
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, aborted);
    }

    /// <summary>Streams the events, flushing each, and plays the scripted delay, drop or in-band error.</summary>
    public async Task StreamAsync(IEnumerable<SseEvent> events, Func<SseEvent> inBandError)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await context.Response.StartAsync(aborted);
        await context.Response.Body.FlushAsync(aborted);
        StreamStarted = true;
        if (script.EmptyStream)
            return;

        var deltas = 0;
        foreach (var sse in events)
        {
            // Faults fire before the (N+1)th delta, or before the closing events when there are fewer deltas.
            if (sse.Kind != SseKind.Frame && deltas >= script.DropConnectionAfterChunks)
            {
                await DropAsync();
                return;
            }
            if (sse.Kind != SseKind.Frame && deltas >= script.InBandErrorAfterChunks)
            {
                await WriteEventAsync(inBandError());
                return;
            }
            if (sse.Kind == SseKind.Delta)
            {
                if (script.DelayBetweenChunks > TimeSpan.Zero)
                    await Task.Delay(script.DelayBetweenChunks, aborted);
                deltas++;
            }
            await WriteEventAsync(sse);
        }
        StreamCompleted = true;
    }

    // Abort discards what is still in Kestrel's output pipe, so give the flushed bytes a moment to reach the socket.
    private async Task DropAsync()
    {
        await context.Response.Body.FlushAsync(aborted);
        await Task.Delay(100, aborted);
        context.Abort();
    }

    private async Task WriteEventAsync(SseEvent sse)
    {
        var text = sse.Name is null
            ? $"data: {Serialize(sse.Data)}\n\n"
            : $"event: {sse.Name}\ndata: {Serialize(sse.Data)}\n\n";
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), aborted);
        await context.Response.Body.FlushAsync(aborted);
    }

    // OpenAI's terminator is the bare string [DONE], not JSON.
    private static string Serialize(JsonNode data) =>
        data is JsonValue value && value.TryGetValue<string>(out var raw) && raw == "[DONE]" ? raw : data.ToJsonString(Json);

    /// <summary>Whole seconds, rounded up, as providers send <c>Retry-After</c>.</summary>
    public static string RetryAfterSeconds(TimeSpan delay) => ((long)Math.Ceiling(delay.TotalSeconds)).ToString();
}
