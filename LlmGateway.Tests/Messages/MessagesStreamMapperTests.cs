using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Messages;

namespace LlmGateway.Tests.Messages;

public class MessagesStreamMapperTests
{
    private const string Envelope = "\"id\":\"chatcmpl-ABf\",\"object\":\"chat.completion.chunk\",\"created\":1727346178,\"model\":\"gpt-4o-2024-08-06\"";

    private static string Chunk(string delta, string? finishReason = null) =>
        "{" + Envelope + ",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":"
        + (finishReason is null ? "null" : $"\"{finishReason}\"") + "}]}";

    private static string TextChunk(string text) => Chunk(new JsonObject { ["content"] = text }.ToJsonString());

    private static string UsageChunk(int prompt, int completion, int cached = 0) =>
        "{" + Envelope + $",\"choices\":[],\"usage\":{{\"prompt_tokens\":{prompt},\"completion_tokens\":{completion},\"total_tokens\":{prompt + completion},\"prompt_tokens_details\":{{\"cached_tokens\":{cached}}}}}}}";

    private static List<(string Event, JsonNode Data)> Run(MessagesStreamMapper mapper, IEnumerable<string> chunks, bool complete = true)
    {
        var events = new List<(string Event, string Data)>();
        foreach (var chunk in chunks)
        {
            mapper.OnChunk(Encoding.UTF8.GetBytes(chunk), events);
        }

        if (complete)
        {
            mapper.Complete(events);
        }

        return events.Select(e => (e.Event, JsonNode.Parse(e.Data)!)).ToList();
    }

    [Fact]
    public void AStreamedTextResponseProducesTheExactAnthropicEventSequence()
    {
        var mapper = new MessagesStreamMapper("smart", "msg_1");
        string[] pieces = ["Hello", " 世界", " 🌦️", "\ud83d\udc4d", " \"done\"\n"];

        var events = Run(mapper,
        [
            Chunk("""{"role":"assistant","content":""}"""),
            .. pieces.Select(TextChunk),
            Chunk("{}", "stop"),
            UsageChunk(prompt: 20, completion: 9, cached: 8),
        ]);

        Assert.Equal(
            ["message_start", "content_block_start", .. pieces.Select(_ => "content_block_delta"), "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Event));
        Assert.All(events, e => Assert.Equal(e.Event, (string)e.Data["type"]!));

        var start = events[0].Data["message"]!;
        Assert.Equal("msg_1", (string)start["id"]!);
        Assert.Equal("smart", (string)start["model"]!);
        Assert.Equal("assistant", (string)start["role"]!);
        Assert.Empty(start["content"]!.AsArray());
        Assert.Equal(0, (int)start["usage"]!["input_tokens"]!);

        Assert.Equal("text", (string)events[1].Data["content_block"]!["type"]!);
        Assert.Equal("", (string)events[1].Data["content_block"]!["text"]!);
        var deltas = events.Where(e => e.Event == "content_block_delta").Select(e => e.Data).ToList();
        Assert.All(deltas, d => Assert.Equal(0, (int)d["index"]!));
        Assert.All(deltas, d => Assert.Equal("text_delta", (string)d["delta"]!["type"]!));
        Assert.Equal(string.Concat(pieces), string.Concat(deltas.Select(d => (string)d["delta"]!["text"]!)));

        var messageDelta = events[^2].Data;
        Assert.Equal("end_turn", (string)messageDelta["delta"]!["stop_reason"]!);
        Assert.Null(messageDelta["delta"]!["stop_sequence"]);
        Assert.Equal(9, (int)messageDelta["usage"]!["output_tokens"]!);
        Assert.Equal(12, (int)messageDelta["usage"]!["input_tokens"]!);
        Assert.Equal(8, (int)messageDelta["usage"]!["cache_read_input_tokens"]!);
        Assert.Equal(new StreamUsage(12, 9, 8, 0), mapper.Usage);
        Assert.True(mapper.IsComplete);
    }

    [Fact]
    public void TwoParallelToolCallsBecomeTwoToolUseBlocksAfterTheText()
    {
        var mapper = new MessagesStreamMapper("smart", "msg_2");

        var events = Run(mapper,
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
        ], events.Select(e => e.Event));

        var starts = events.Where(e => e.Event == "content_block_start").Select(e => e.Data).ToList();
        Assert.Equal([0, 1, 2], starts.Select(s => (int)s["index"]!));
        Assert.Equal(["text", "tool_use", "tool_use"], starts.Select(s => (string)s["content_block"]!["type"]!));
        Assert.Equal("call_JMW1", (string)starts[1]["content_block"]!["id"]!);
        Assert.Equal("GetWeatherArgs", (string)starts[1]["content_block"]!["name"]!);
        Assert.Empty(starts[1]["content_block"]!["input"]!.AsObject());
        Assert.Equal("call_DNYT", (string)starts[2]["content_block"]!["id"]!);

        string PartialJson(int index) => string.Concat(events
            .Where(e => e.Event == "content_block_delta" && (int)e.Data["index"]! == index)
            .Select(e => (string)e.Data["delta"]!["partial_json"]!));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"city":"Paris"}"""), JsonNode.Parse(PartialJson(1))));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"ticker":"MSFT"}"""), JsonNode.Parse(PartialJson(2))));
        Assert.Equal("tool_use", (string)events[^2].Data["delta"]!["stop_reason"]!);
    }

    [Fact]
    public void ToolCallsThatAllUseIndexZeroAreToldApartById()
    {
        var mapper = new MessagesStreamMapper("smart", "msg_3");

        var events = Run(mapper,
        [
            Chunk("""{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{}"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"id":"b","function":{"name":"g","arguments":"{}"}}]}""", "tool_calls"),
        ]);

        var starts = events.Where(e => e.Event == "content_block_start").Select(e => e.Data["content_block"]!).ToList();
        Assert.Equal(["a", "b"], starts.Select(s => (string)s["id"]!));
        Assert.Equal(["f", "g"], starts.Select(s => (string)s["name"]!));
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("tool_calls", "tool_use")]
    [InlineData("content_filter", "refusal")]
    public void FinishReasonBecomesTheStopReasonOfMessageDelta(string finishReason, string stopReason)
    {
        var events = Run(new MessagesStreamMapper("smart", "msg_4"), [TextChunk("x"), Chunk("{}", finishReason)]);

        var messageDelta = Assert.Single(events, e => e.Event == "message_delta");
        Assert.Equal(stopReason, (string)messageDelta.Data["delta"]!["stop_reason"]!);
    }

    [Fact]
    public void AOneShotChunkWithContentFinishAndUsageIsSplitInOrder()
    {
        var mapper = new MessagesStreamMapper("smart", "msg_5");
        var oneShot = "{" + Envelope + ""","choices":[{"index":0,"delta":{"role":"assistant","content":"All at once"},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}""";

        var events = Run(mapper, [oneShot, TextChunk("ignored after the end")]);

        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Event));
        Assert.Equal(5, (int)events[0].Data["message"]!["usage"]!["input_tokens"]!);
        Assert.Equal("max_tokens", (string)events[4].Data["delta"]!["stop_reason"]!);
        Assert.Equal(3, (int)events[4].Data["usage"]!["output_tokens"]!);
    }

    [Fact]
    public void CompleteWithoutAUsageChunkStillEndsTheMessageOnceAndNeverRestartsIt()
    {
        var mapper = new MessagesStreamMapper("smart", "msg_6");
        var events = new List<(string Event, string Data)>();

        mapper.OnChunk(Encoding.UTF8.GetBytes(TextChunk("Hi")), events);
        mapper.OnChunk(Encoding.UTF8.GetBytes(Chunk("{}", "stop")), events);
        mapper.Complete(events);
        mapper.Complete(events);
        mapper.OnChunk(Encoding.UTF8.GetBytes(TextChunk("late")), events);

        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Event));
    }

    [Fact]
    public void AnEmptyStreamStillProducesAValidMessage()
    {
        var events = Run(new MessagesStreamMapper("smart", "msg_7"), []);

        Assert.Equal(["message_start", "message_delta", "message_stop"], events.Select(e => e.Event));
        Assert.Equal("end_turn", (string)events[1].Data["delta"]!["stop_reason"]!);
    }

    [Fact]
    public void AnInBandUpstreamErrorBecomesAnAnthropicErrorEvent()
    {
        var mapper = new MessagesStreamMapper("smart", "msg_8");

        var events = Run(mapper, [TextChunk("partial"), """{"error":{"message":"Upstream overloaded","type":"server_error","param":null,"code":null}}"""], complete: false);

        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "error"], events.Select(e => e.Event));
        Assert.Equal("server_error", (string)events[^1].Data["error"]!["type"]!);
        Assert.Equal("Upstream overloaded", (string)events[^1].Data["error"]!["message"]!);
        Assert.Equal("Upstream overloaded", mapper.Error!.Message);
        Assert.True(mapper.IsComplete);
    }
}
