using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers.Anthropic;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Translation;

/// <summary>Anthropic upstream → canonical events → chat completions client, streamed (this file) and whole (.Body.cs).</summary>
public partial class AnthropicToChatResponseTests
{
    private const string MessageStart = """{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":377,"cache_creation_input_tokens":3,"cache_read_input_tokens":5,"output_tokens":1}}}""";
    private const string MessageStop = """{"type":"message_stop"}""";

    private static readonly ResponseIdentity Identity = new("chatcmpl-9", "smart", 1727346178);

    /// <summary>The decoder and encoder of one response, joined as the relay will join them.</summary>
    private sealed class Pipe(bool includeUsage = false, Func<TokenUsage, decimal?>? costOf = null)
    {
        private readonly AnthropicStreamDecoder _decoder = new();
        private readonly ChatCompletionsStreamEncoder _encoder = new(Identity, new StreamEncoderOptions(includeUsage, costOf));
        private readonly SseWriter _sse = new(new ArrayBufferWriter<byte>());
        private int _read;

        /// <summary>Every canonical event decoded so far.</summary>
        public List<ResponseEvent> Events { get; } = [];

        /// <summary>Decodes and encodes <paramref name="events"/>; returns the data payloads written for them, <c>[DONE]</c> included.</summary>
        public List<string> Feed(params (string Event, string Data)[] events)
        {
            var decoded = new List<ResponseEvent>();
            foreach (var (name, data) in events)
            {
                decoded.Clear();
                _decoder.Decode(name, Encoding.UTF8.GetBytes(data), decoded);
                Events.AddRange(decoded);
                decoded.ForEach(e => _encoder.Write(e, _sse));
            }

            return Written();
        }

        /// <summary>Encodes canonical events directly (as cache replay will).</summary>
        public List<string> Encode(IEnumerable<ResponseEvent> events)
        {
            foreach (var e in events)
            {
                _encoder.Write(e, _sse);
            }

            return Written();
        }

        private List<string> Written()
        {
            var buffer = (ArrayBufferWriter<byte>)_sse.Output;
            var events = SseText.Parse(buffer.WrittenSpan[_read..]);
            _read = buffer.WrittenCount;
            Assert.All(events, e => Assert.Null(e.Event)); // chat streams have no event: lines
            return events.Select(e => e.Data).ToList();
        }
    }

    private static List<JsonObject> Chunks(IEnumerable<string> data) =>
        data.Where(d => d != "[DONE]").Select(d => JsonNode.Parse(d)!.AsObject()).ToList();

    private static JsonNode Delta(JsonObject chunk) => chunk["choices"]![0]!["delta"]!;

    private static (string, string) TextDelta(int index, string text) => Delta(index, "text_delta", "text", text);

    private static (string, string) JsonDelta(int index, string partialJson) => Delta(index, "input_json_delta", "partial_json", partialJson);

    private static (string, string) Delta(int index, string type, string field, string value) =>
        ("content_block_delta", new JsonObject
        {
            ["type"] = "content_block_delta",
            ["index"] = index,
            ["delta"] = new JsonObject { ["type"] = type, [field] = value },
        }.ToJsonString());

    private static (string, string) BlockStart(int index, string block) =>
        ("content_block_start", $$"""{"type":"content_block_start","index":{{index}},"content_block":{{block}}}""");

    private static (string, string) BlockStop(int index) => ("content_block_stop", $$"""{"type":"content_block_stop","index":{{index}}}""");

    private static (string, string) MessageDelta(string stopReason, int outputTokens) =>
        ("message_delta", $$$"""{"type":"message_delta","delta":{"stop_reason":"{{{stopReason}}}","stop_sequence":null},"usage":{"output_tokens":{{{outputTokens}}}}}""");

    [Fact]
    public void AStreamedTextResponseConcatenatesToTheOriginalText()
    {
        var pipe = new Pipe();
        string[] pieces = ["Hello ", "世界", "！ ", "🌦️", "\ud83d\udc4d done", "\n\"quoted\""];

        var data = pipe.Feed(
            [
                ("message_start", MessageStart),
                BlockStart(0, """{"type":"text","text":""}"""),
                ("ping", """{"type": "ping"}"""),
                .. pieces.Select(p => TextDelta(0, p)),
                BlockStop(0),
                MessageDelta("end_turn", 12),
                ("message_stop", MessageStop),
            ]);

        var chunks = Chunks(data);
        Assert.Equal("assistant", (string)Delta(chunks[0])["role"]!);
        Assert.Equal(1, chunks.Count(c => Delta(c)["role"] is not null));
        Assert.Equal(string.Concat(pieces), string.Concat(chunks.Select(c => (string?)Delta(c)["content"])));
        Assert.All(chunks, c =>
        {
            Assert.Equal("chatcmpl-9", (string)c["id"]!);
            Assert.Equal("chat.completion.chunk", (string)c["object"]!);
            Assert.Equal(1727346178, (long)c["created"]!);
            Assert.Equal("smart", (string)c["model"]!);
        });
        Assert.Equal("stop", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
        Assert.All(chunks[..^1], c => Assert.Null(c["choices"]![0]!["finish_reason"]));
        Assert.Equal("[DONE]", data[^1]);
        Assert.DoesNotContain(chunks, c => c["usage"] is not null); // no include_usage: no usage chunk
        var folder = new ResponseFolder();
        pipe.Events.ForEach(folder.Add);
        Assert.True(folder.IsComplete);
        Assert.Equal(new ContentPart[] { new TextPart(string.Concat(pieces)) }, folder.Result.Content);
    }

    [Fact]
    public void TwoParallelToolCallsAfterTextGetOpenAiIndexesZeroAndOne()
    {
        var pipe = new Pipe();

        var chunks = Chunks(pipe.Feed(
            ("message_start", MessageStart),
            BlockStart(0, """{"type":"text","text":""}"""),
            TextDelta(0, "Checking both."),
            BlockStop(0),
            BlockStart(1, """{"type":"tool_use","id":"toolu_A","name":"get_weather","input":{}}"""),
            JsonDelta(1, ""),
            JsonDelta(1, """{"city": """),
            JsonDelta(1, "\"Paris\"}"),
            BlockStop(1),
            BlockStart(2, """{"type":"tool_use","id":"toolu_B","name":"get_stock_price","input":{}}"""),
            JsonDelta(2, """{"ticker":"""),
            JsonDelta(2, "\"MSFT\"}"),
            BlockStop(2),
            MessageDelta("tool_use", 65),
            ("message_stop", MessageStop)));

        var toolDeltas = chunks.SelectMany(c => Delta(c)["tool_calls"]?.AsArray() ?? []).Select(t => t!.AsObject()).ToList();
        var starts = toolDeltas.Where(t => t["id"] is not null).ToList();
        Assert.Equal([0, 1], starts.Select(t => (int)t["index"]!));
        Assert.Equal(["toolu_A", "toolu_B"], starts.Select(t => (string)t["id"]!));
        Assert.Equal(["get_weather", "get_stock_price"], starts.Select(t => (string)t["function"]!["name"]!));
        Assert.All(starts, t => Assert.Equal("function", (string)t["type"]!));
        Assert.All(starts, t => Assert.Equal("", (string)t["function"]!["arguments"]!));
        Assert.All(toolDeltas.Except(starts), t => Assert.Equal(["index", "function"], t.Select(p => p.Key)));

        string Arguments(int index) => string.Concat(toolDeltas.Where(t => (int)t["index"]! == index).Select(t => (string)t["function"]!["arguments"]!));
        Assert.Equal("""{"city": "Paris"}""", Arguments(0));
        Assert.Equal("""{"ticker":"MSFT"}""", Arguments(1));
        Assert.Equal("tool_calls", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
    }

    [Theory]
    [InlineData("end_turn", "stop", FinishReason.Stop)]
    [InlineData("stop_sequence", "stop", FinishReason.StopSequence)]
    [InlineData("max_tokens", "length", FinishReason.Length)]
    [InlineData("model_context_window_exceeded", "length", FinishReason.ContextWindow)]
    [InlineData("tool_use", "tool_calls", FinishReason.ToolCalls)]
    [InlineData("pause_turn", "stop", FinishReason.PauseTurn)]
    [InlineData("refusal", "content_filter", FinishReason.ContentFilter)]
    public void MessageDeltaStopReasonBecomesTheFinishReasonChunk(string stopReason, string finishReason, FinishReason canonical)
    {
        var pipe = new Pipe();

        var chunks = Chunks(pipe.Feed(("message_start", MessageStart), MessageDelta(stopReason, 2)));

        var last = chunks[^1]["choices"]![0]!;
        Assert.Equal(finishReason, (string)last["finish_reason"]!);
        Assert.Empty(last["delta"]!.AsObject());
        Assert.Equal(new ResponseFinished(canonical), Assert.Single(pipe.Events.OfType<ResponseFinished>()));
    }

    [Fact]
    public void UsageWithCacheTokensComesFromMessageStartAndMessageDelta()
    {
        var pipe = new Pipe(includeUsage: true);

        var data = pipe.Feed(("message_start", MessageStart), MessageDelta("end_turn", 65), ("message_stop", MessageStop));

        Assert.Equal(new TokenUsage(385, 65, CachedTokens: 5, CacheWriteTokens: 3), ResponseFolder.Fold(pipe.Events).Usage);
        Assert.Equal("[DONE]", data[^1]);
        var final = JsonNode.Parse(data[^2])!;
        Assert.Empty(final["choices"]!.AsArray());
        Assert.Equal("chatcmpl-9", (string)final["id"]!);
        Assert.Equal(385, (int)final["usage"]!["prompt_tokens"]!);
        Assert.Equal(65, (int)final["usage"]!["completion_tokens"]!);
        Assert.Equal(450, (int)final["usage"]!["total_tokens"]!);
        Assert.Equal(5, (int)final["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);
    }

    [Fact]
    public void AnInBandErrorEventBecomesTheChatErrorChunkThenDoneAndNothingAfter()
    {
        var pipe = new Pipe(includeUsage: true);
        pipe.Feed(("message_start", MessageStart), TextDelta(0, "partial"));

        var data = pipe.Feed(("error", """{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"""));
        var after = pipe.Feed(TextDelta(0, "more"), MessageDelta("end_turn", 3), ("message_stop", MessageStop));

        Assert.Equal(new ResponseFailed("overloaded_error", "Overloaded"), pipe.Events.OfType<ResponseFailed>().Single());
        Assert.Equal(["""{"error":{"message":"Overloaded","type":"overloaded_error","param":null,"code":null}}""", "[DONE]"], data);
        Assert.Empty(after);
        var folder = new ResponseFolder();
        pipe.Events.ForEach(folder.Add);
        Assert.False(folder.IsComplete);
    }

    [Fact]
    public void AnEventThatIsNotJsonFailsTheStream()
    {
        var pipe = new Pipe();
        pipe.Feed(("message_start", MessageStart));

        var data = pipe.Feed(("content_block_delta", "{not json"));

        Assert.Equal(new ResponseFailed("api_error", "The upstream sent an event that is not valid JSON."), Assert.Single(pipe.Events.OfType<ResponseFailed>()));
        Assert.Equal("api_error", (string)JsonNode.Parse(data[0])!["error"]!["type"]!);
        Assert.Equal("[DONE]", data[^1]);
    }

    [Fact]
    public void PingUnknownEventsAndCitationsProduceNothing()
    {
        var pipe = new Pipe();
        pipe.Feed(("message_start", MessageStart), BlockStart(0, """{"type":"text","text":""}"""));

        var data = pipe.Feed(
            ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location"}}}"""),
            ("ping", """{"type":"ping"}"""),
            ("future_event", """{"type":"future_event","x":1}"""));

        Assert.Empty(data);
    }

    [Fact]
    public void AnEmptyEventNameFallsBackToTheDataType()
    {
        var pipe = new Pipe();

        var chunks = Chunks(pipe.Feed(("", MessageStart), ("", TextDelta(0, "hi").Item2)));

        Assert.Equal(2, chunks.Count);
        Assert.Equal("hi", (string)Delta(chunks[1])["content"]!);
    }
}
