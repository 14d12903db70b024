using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.Messages;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers.OpenAiCompatible;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Translation;

/// <summary>OpenAI chat answers through the canonical model to Anthropic Messages: streams here, bodies in the .Body part.</summary>
public partial class ChatToMessagesResponseTests
{
    private const string Envelope = "\"id\":\"chatcmpl-ABf\",\"object\":\"chat.completion.chunk\",\"created\":1727346178,\"model\":\"gpt-4o-2024-08-06\"";

    private static string Chunk(string delta, string? finishReason = null) =>
        "{" + Envelope + ",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":"
        + (finishReason is null ? "null" : $"\"{finishReason}\"") + "}]}";

    private static string TextChunk(string text) => Chunk(new JsonObject { ["content"] = text }.ToJsonString());

    private static string UsageChunk(int prompt, int completion, int cached = 0) =>
        "{" + Envelope + $",\"choices\":[],\"usage\":{{\"prompt_tokens\":{prompt},\"completion_tokens\":{completion},\"total_tokens\":{prompt + completion},\"prompt_tokens_details\":{{\"cached_tokens\":{cached}}}}}}}";

    /// <summary>The upstream payloads through the decoder and the encoder; <c>[DONE]</c> appended unless <paramref name="done"/> is false.</summary>
    private static Translated Run(IEnumerable<string> chunks, bool done = true, string messageId = "msg_1")
    {
        var decoder = new OpenAiChatStreamDecoder($"toolu_{messageId}_");
        var payloads = done ? chunks.Append("[DONE]") : chunks;
        var canonical = new List<ResponseEvent>();
        foreach (var payload in payloads)
        {
            decoder.Decode("", Encoding.UTF8.GetBytes(payload), canonical);
        }

        return new Translated(canonical, Encode(canonical, messageId));
    }

    private static List<SseEvent> Encode(IEnumerable<ResponseEvent> events, string messageId = "msg_1")
    {
        var buffer = new ArrayBufferWriter<byte>();
        var output = new SseWriter(buffer);
        var encoder = new MessagesStreamEncoder(new ResponseIdentity(messageId, "smart", 0));
        foreach (var e in events)
        {
            encoder.Write(e, output);
        }

        var parsed = ParseSse(Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(output.Count, parsed.Count);
        return parsed;
    }

    /// <summary>Each event is <c>event: name</c> then <c>data: json</c> and a blank line; the data's type repeats the name.</summary>
    private static List<SseEvent> ParseSse(string sse)
    {
        var events = new List<SseEvent>();
        foreach (var block in sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0]);
            Assert.StartsWith("data: ", lines[1]);
            var name = lines[0]["event: ".Length..];
            var data = JsonNode.Parse(lines[1]["data: ".Length..])!;
            Assert.Equal(name, (string)data["type"]!);
            events.Add(new SseEvent(name, data));
        }

        return events;
    }

    private static IEnumerable<string> Names(IEnumerable<SseEvent> events) => events.Select(e => e.Event);

    private static List<JsonNode> Of(IEnumerable<SseEvent> events, string name) => events.Where(e => e.Event == name).Select(e => e.Data).ToList();

    private static string Deltas(IEnumerable<SseEvent> events, int index, string field) => string.Concat(Of(events, "content_block_delta")
        .Where(d => (int)d["index"]! == index && d["delta"]![field] is not null)
        .Select(d => (string)d["delta"]![field]!));

    private sealed record SseEvent(string Event, JsonNode Data);

    private sealed record Translated(List<ResponseEvent> Canonical, List<SseEvent> Events);

    [Fact]
    public void AStreamedTextResponseProducesTheExactAnthropicEventSequence()
    {
        string[] pieces = ["Hello", " 世界", " 🌦️", "\ud83d\udc4d", " \"done\"\n"];

        var (canonical, events) = Run(
        [
            Chunk("""{"role":"assistant","content":""}"""),
            .. pieces.Select(TextChunk),
            Chunk("{}", "stop"),
            UsageChunk(prompt: 20, completion: 9, cached: 8),
        ]);

        Assert.Equal(
            ["message_start", "content_block_start", .. pieces.Select(_ => "content_block_delta"), "content_block_stop", "message_delta", "message_stop"],
            Names(events));

        var start = events[0].Data["message"]!;
        Assert.Equal("msg_1", (string)start["id"]!);
        Assert.Equal("smart", (string)start["model"]!);
        Assert.Equal("assistant", (string)start["role"]!);
        Assert.Empty(start["content"]!.AsArray());
        Assert.Equal(0, (int)start["usage"]!["input_tokens"]!);

        Assert.Equal("text", (string)events[1].Data["content_block"]!["type"]!);
        Assert.Equal("", (string)events[1].Data["content_block"]!["text"]!);
        var deltas = Of(events, "content_block_delta");
        Assert.All(deltas, d => Assert.Equal(0, (int)d["index"]!));
        Assert.All(deltas, d => Assert.Equal("text_delta", (string)d["delta"]!["type"]!));
        Assert.Equal(string.Concat(pieces), Deltas(events, 0, "text"));

        var messageDelta = events[^2].Data;
        Assert.Equal("end_turn", (string)messageDelta["delta"]!["stop_reason"]!);
        Assert.Null(messageDelta["delta"]!["stop_sequence"]);
        Assert.Equal(9, (int)messageDelta["usage"]!["output_tokens"]!);
        Assert.Equal(12, (int)messageDelta["usage"]!["input_tokens"]!);
        Assert.Equal(8, (int)messageDelta["usage"]!["cache_read_input_tokens"]!);
        Assert.Equal(new TokenUsage(20, 9, 8), Assert.Single(canonical.OfType<UsageReported>()).Usage);
        Assert.IsType<ResponseCompleted>(canonical[^1]);
    }

    [Fact]
    public void TwoParallelToolCallsBecomeTwoToolUseBlocksAfterTheText()
    {
        var (_, events) = Run(
        [
            Chunk("""{"role":"assistant","content":null}"""),
            TextChunk("Checking."),
            Chunk("""{"tool_calls":[{"index":0,"id":"call_JMW1","type":"function","function":{"name":"GetWeatherArgs","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Paris\"}"}}]}"""),
            Chunk("""{"tool_calls":[{"index":1,"id":"call_DNYT","type":"function","function":{"name":"get_stock_price","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":1,"function":{"arguments":"{\"ticker\":\"MSFT\"}"}}]}"""),
            Chunk("{}", "tool_calls"),
            UsageChunk(prompt: 149, completion: 60),
        ]);

        Assert.Equal(
        [
            "message_start",
            "content_block_start", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop",
        ], Names(events));

        var starts = Of(events, "content_block_start");
        Assert.Equal([0, 1, 2], starts.Select(s => (int)s["index"]!));
        Assert.Equal(["text", "tool_use", "tool_use"], starts.Select(s => (string)s["content_block"]!["type"]!));
        Assert.Equal("call_JMW1", (string)starts[1]["content_block"]!["id"]!);
        Assert.Equal("GetWeatherArgs", (string)starts[1]["content_block"]!["name"]!);
        Assert.Empty(starts[1]["content_block"]!["input"]!.AsObject());
        Assert.Equal("direct", (string)starts[1]["content_block"]!["caller"]!["type"]!);
        Assert.Equal("call_DNYT", (string)starts[2]["content_block"]!["id"]!);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"city":"Paris"}"""), JsonNode.Parse(Deltas(events, 1, "partial_json"))));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"ticker":"MSFT"}"""), JsonNode.Parse(Deltas(events, 2, "partial_json"))));
        Assert.Equal("tool_use", (string)events[^2].Data["delta"]!["stop_reason"]!);
    }

    [Fact]
    public void ToolCallsThatAllUseIndexZeroAreToldApartById()
    {
        var (_, events) = Run(
        [
            Chunk("""{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{}"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"id":"b","function":{"name":"g","arguments":"{}"}}]}""", "tool_calls"),
        ]);

        var starts = Of(events, "content_block_start").Select(s => s["content_block"]!).ToList();
        Assert.Equal(["a", "b"], starts.Select(s => (string)s["id"]!));
        Assert.Equal(["f", "g"], starts.Select(s => (string)s["name"]!));
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("tool_calls", "tool_use")]
    [InlineData("function_call", "tool_use")]
    [InlineData("content_filter", "refusal")]
    public void FinishReasonBecomesTheStopReasonOfMessageDelta(string finishReason, string stopReason)
    {
        var (_, events) = Run([TextChunk("x"), Chunk("{}", finishReason)]);

        var messageDelta = Assert.Single(events, e => e.Event == "message_delta");
        Assert.Equal(stopReason, (string)messageDelta.Data["delta"]!["stop_reason"]!);
    }

    [Fact]
    public void AOneShotChunkWithContentFinishAndUsageIsSplitInOrder()
    {
        var oneShot = "{" + Envelope + ""","choices":[{"index":0,"delta":{"role":"assistant","content":"All at once"},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}""";

        var (_, events) = Run([oneShot, TextChunk("ignored after the end")]);

        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            Names(events));
        Assert.Equal(5, (int)events[0].Data["message"]!["usage"]!["input_tokens"]!);
        Assert.Equal("All at once", Deltas(events, 0, "text"));
        Assert.Equal("max_tokens", (string)events[4].Data["delta"]!["stop_reason"]!);
        Assert.Equal(3, (int)events[4].Data["usage"]!["output_tokens"]!);
    }

    [Fact]
    public void DoneWithoutAUsageChunkStillEndsTheMessageOnceAndNeverRestartsIt()
    {
        var (canonical, events) = Run([TextChunk("Hi"), Chunk("{}", "stop"), "[DONE]", "[DONE]", TextChunk("late")], done: false);

        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            Names(events));
        Assert.Single(canonical.OfType<ResponseCompleted>());
        Assert.IsType<ResponseCompleted>(canonical[^1]);
    }

    [Fact]
    public void AnEmptyStreamStillProducesAValidMessage()
    {
        var (_, events) = Run([]);

        Assert.Equal(["message_start", "message_delta", "message_stop"], Names(events));
        Assert.Equal("end_turn", (string)events[1].Data["delta"]!["stop_reason"]!);
    }

    [Fact]
    public void AnInBandUpstreamErrorBecomesAnAnthropicErrorEventAndNothingFollows()
    {
        var (canonical, events) = Run(
            [TextChunk("partial"), """{"error":{"message":"Upstream overloaded","type":"server_error","param":null,"code":null}}""", TextChunk("more")]);

        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "error"], Names(events));
        Assert.Equal("server_error", (string)events[^1].Data["error"]!["type"]!);
        Assert.Equal("Upstream overloaded", (string)events[^1].Data["error"]!["message"]!);
        Assert.Equal(new ResponseFailed("server_error", "Upstream overloaded"), canonical[^1]);
    }

    [Fact]
    public void AChunkThatIsNotJsonFailsTheStream()
    {
        var (canonical, events) = Run([TextChunk("a"), "{not json"]);

        Assert.Equal(new ResponseFailed("api_error", "The upstream sent a chunk that is not valid JSON."), canonical[^1]);
        Assert.Equal("error", events[^1].Event);
        Assert.Equal("api_error", (string)events[^1].Data["error"]!["type"]!);
    }
}
