using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.Providers.Anthropic;

namespace LlmGateway.Tests.Providers.Anthropic;

public class AnthropicStreamMapperTests
{
    private const string MessageStart = """{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":377,"cache_creation_input_tokens":3,"cache_read_input_tokens":5,"output_tokens":1}}}""";

    private static List<JsonObject> Feed(AnthropicStreamMapper mapper, params (string Event, string Data)[] events)
    {
        var chunks = new List<string>();
        foreach (var (name, data) in events)
        {
            mapper.OnEvent(name, Encoding.UTF8.GetBytes(data), chunks);
        }

        return chunks.Select(c => JsonNode.Parse(c)!.AsObject()).ToList();
    }

    private static AnthropicStreamMapper NewMapper(bool includeUsage = false) => new("smart", "chatcmpl-9", 1727346178, includeUsage);

    private static (string, string) TextDelta(int index, string text) =>
        ("content_block_delta", new JsonObject
        {
            ["type"] = "content_block_delta",
            ["index"] = index,
            ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = text },
        }.ToJsonString());

    private static (string, string) JsonDelta(int index, string partialJson) =>
        ("content_block_delta", new JsonObject
        {
            ["type"] = "content_block_delta",
            ["index"] = index,
            ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = partialJson },
        }.ToJsonString());

    [Fact]
    public void AStreamedTextResponseConcatenatesToTheOriginalText()
    {
        var mapper = NewMapper();
        string[] pieces = ["Hello ", "世界", "！ ", "🌦️", "\ud83d\udc4d done", "\n\"quoted\""];

        var chunks = Feed(mapper,
            [
                ("message_start", MessageStart),
                ("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
                ("ping", """{"type": "ping"}"""),
                .. pieces.Select(p => TextDelta(0, p)),
                ("content_block_stop", """{"type":"content_block_stop","index":0}"""),
                ("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}}"""),
                ("message_stop", """{"type":"message_stop"}"""),
            ]);

        var first = chunks[0]["choices"]![0]!["delta"]!;
        Assert.Equal("assistant", (string)first["role"]!);
        Assert.Equal(1, chunks.Count(c => c["choices"]![0]!["delta"]!["role"] is not null));
        var text = string.Concat(chunks.Select(c => (string?)c["choices"]![0]!["delta"]!["content"]));
        Assert.Equal(string.Concat(pieces), text);
        Assert.All(chunks, c =>
        {
            Assert.Equal("chatcmpl-9", (string)c["id"]!);
            Assert.Equal("chat.completion.chunk", (string)c["object"]!);
            Assert.Equal(1727346178, (long)c["created"]!);
            Assert.Equal("smart", (string)c["model"]!);
        });
        Assert.Equal("stop", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
        Assert.All(chunks[..^1], c => Assert.Null(c["choices"]![0]!["finish_reason"]));
        Assert.True(mapper.IsComplete);
        Assert.Null(mapper.FinalUsageChunk());
    }

    [Fact]
    public void TwoParallelToolCallsAfterTextGetOpenAiIndexesZeroAndOne()
    {
        var mapper = NewMapper();

        var chunks = Feed(mapper,
            ("message_start", MessageStart),
            ("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
            TextDelta(0, "Checking both."),
            ("content_block_stop", """{"type":"content_block_stop","index":0}"""),
            ("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_A","name":"get_weather","input":{}}}"""),
            JsonDelta(1, ""),
            JsonDelta(1, """{"city": """),
            JsonDelta(1, "\"Paris\"}"),
            ("content_block_stop", """{"type":"content_block_stop","index":1}"""),
            ("content_block_start", """{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_B","name":"get_stock_price","input":{}}}"""),
            JsonDelta(2, """{"ticker":"""),
            JsonDelta(2, "\"MSFT\"}"),
            ("content_block_stop", """{"type":"content_block_stop","index":2}"""),
            ("message_delta", """{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":65}}"""),
            ("message_stop", """{"type":"message_stop"}"""));

        var toolDeltas = chunks
            .SelectMany(c => c["choices"]![0]!["delta"]!["tool_calls"]?.AsArray() ?? [])
            .Select(t => t!.AsObject())
            .ToList();
        var starts = toolDeltas.Where(t => t["id"] is not null).ToList();
        Assert.Equal([0, 1], starts.Select(t => (int)t["index"]!));
        Assert.Equal(["toolu_A", "toolu_B"], starts.Select(t => (string)t["id"]!));
        Assert.Equal(["get_weather", "get_stock_price"], starts.Select(t => (string)t["function"]!["name"]!));
        Assert.All(starts, t => Assert.Equal("function", (string)t["type"]!));
        Assert.All(starts, t => Assert.Equal("", (string)t["function"]!["arguments"]!));

        string Arguments(int index) => string.Concat(toolDeltas.Where(t => (int)t["index"]! == index).Select(t => (string)t["function"]!["arguments"]!));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"city":"Paris"}"""), JsonNode.Parse(Arguments(0))));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"ticker":"MSFT"}"""), JsonNode.Parse(Arguments(1))));
        Assert.Equal("tool_calls", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("pause_turn", "stop")]
    [InlineData("refusal", "content_filter")]
    public void MessageDeltaStopReasonBecomesTheFinishReasonChunk(string stopReason, string finishReason)
    {
        var mapper = NewMapper();

        var chunks = Feed(mapper,
            ("message_start", MessageStart),
            ("message_delta", $$$"""{"type":"message_delta","delta":{"stop_reason":"{{{stopReason}}}"},"usage":{"output_tokens":2}}"""));

        var last = chunks[^1]["choices"]![0]!;
        Assert.Equal(finishReason, (string)last["finish_reason"]!);
        Assert.Empty(last["delta"]!.AsObject());
        Assert.Equal(finishReason, mapper.FinishReason);
    }

    [Fact]
    public void UsageWithCacheTokensComesFromMessageStartAndMessageDelta()
    {
        var mapper = NewMapper(includeUsage: true);

        Feed(mapper,
            ("message_start", MessageStart),
            ("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":65}}"""),
            ("message_stop", """{"type":"message_stop"}"""));

        Assert.Equal(377, mapper.Usage.InputTokens);
        Assert.Equal(65, mapper.Usage.OutputTokens);
        Assert.Equal(5, mapper.Usage.CacheReadInputTokens);
        Assert.Equal(3, mapper.Usage.CacheCreationInputTokens);
        var final = JsonNode.Parse(mapper.FinalUsageChunk()!)!;
        Assert.Empty(final["choices"]!.AsArray());
        Assert.Equal("chatcmpl-9", (string)final["id"]!);
        Assert.Equal(385, (int)final["usage"]!["prompt_tokens"]!);
        Assert.Equal(65, (int)final["usage"]!["completion_tokens"]!);
        Assert.Equal(450, (int)final["usage"]!["total_tokens"]!);
        Assert.Equal(5, (int)final["usage"]!["prompt_tokens_details"]!["cached_tokens"]!);
    }

    [Fact]
    public void AnInBandErrorEventIsExposedAndProducesNoChunks()
    {
        var mapper = NewMapper();
        Feed(mapper, ("message_start", MessageStart), TextDelta(0, "partial"));

        var chunks = Feed(mapper, ("error", """{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"""));

        Assert.Empty(chunks);
        Assert.Equal("overloaded_error", mapper.Error!.Type);
        Assert.Equal("Overloaded", mapper.Error.Message);
        var error = JsonNode.Parse(mapper.ErrorChunk()!)!["error"]!;
        Assert.Equal("Overloaded", (string)error["message"]!);
        Assert.Equal("overloaded_error", (string)error["type"]!);
        Assert.False(mapper.IsComplete);
    }

    [Fact]
    public void ThinkingPingAndUnknownEventsProduceNothing()
    {
        var mapper = NewMapper();
        Feed(mapper, ("message_start", MessageStart));

        var chunks = Feed(mapper,
            ("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"""),
            ("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig"}}"""),
            ("content_block_stop", """{"type":"content_block_stop","index":0}"""),
            ("ping", """{"type":"ping"}"""),
            ("future_event", """{"type":"future_event","x":1}"""));

        Assert.Empty(chunks);
    }

    [Fact]
    public void AnEmptyEventNameFallsBackToTheDataType()
    {
        var mapper = NewMapper();

        var chunks = Feed(mapper, ("", MessageStart), ("", TextDelta(0, "hi").Item2));

        Assert.Equal(2, chunks.Count);
        Assert.Equal("hi", (string)chunks[1]["choices"]![0]!["delta"]!["content"]!);
    }
}
