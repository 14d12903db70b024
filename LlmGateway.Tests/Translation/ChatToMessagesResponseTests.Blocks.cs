using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Translation;

public partial class ChatToMessagesResponseTests
{
    [Fact]
    public void ParallelToolCallsStreamedWithoutTextBecomeTwoToolUseBlocksWithTheirArgumentsInOrder()
    {
        var (canonical, events) = Run(
        [
            Chunk("""{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"weather","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]}"""),
            Chunk("""{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"time","arguments":"{\"tz\""}}]}"""),
            Chunk("""{"tool_calls":[{"index":1,"function":{"arguments":":\"CET\"}"}}]}"""),
            Chunk("{}", "tool_calls"),
        ]);

        Assert.Equal(
        [
            "message_start",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop",
        ], Names(events));
        var blocks = Of(events, "content_block_start").Select(s => s["content_block"]!).ToList();
        Assert.Equal(["call_a", "call_b"], blocks.Select(b => (string)b["id"]!));
        Assert.Equal(["weather", "time"], blocks.Select(b => (string)b["name"]!));
        Assert.Equal(["{\"city\":", "\"Oslo\"}", "{\"tz\"", ":\"CET\"}"],
            Of(events, "content_block_delta").Select(d => (string)d["delta"]!["partial_json"]!));
        Assert.Equal("""{"city":"Oslo"}""", Deltas(events, 0, "partial_json"));
        Assert.Equal("""{"tz":"CET"}""", Deltas(events, 1, "partial_json"));

        var folded = ResponseFolder.Fold(canonical);
        Assert.Equal([new ToolCallPart("call_a", "weather", """{"city":"Oslo"}"""), new ToolCallPart("call_b", "time", """{"tz":"CET"}""")], folded.Content);
        Assert.Equal(FinishReason.ToolCalls, folded.Finish);
    }

    [Fact]
    public void ReasoningContentBecomesAThinkingBlockBeforeTheText()
    {
        var (_, events) = Run(
        [
            Chunk("""{"role":"assistant","content":"","reasoning_content":"Let me"}"""),
            Chunk("""{"reasoning_content":" think."}"""),
            // vLLM's newer name, and a chunk that carries reasoning and text at once.
            Chunk("""{"reasoning":" Done.","content":"Answer"}"""),
            TextChunk(" here."),
            Chunk("{}", "stop"),
        ]);

        Assert.Equal(
        [
            "message_start",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop",
        ], Names(events));
        var starts = Of(events, "content_block_start");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"type":"thinking","thinking":"","signature":""}"""), starts[0]["content_block"]));
        Assert.Equal("text", (string)starts[1]["content_block"]!["type"]!);
        Assert.Equal("Let me think. Done.", Deltas(events, 0, "thinking"));
        Assert.Equal("Answer here.", Deltas(events, 1, "text"));
        Assert.All(Of(events, "content_block_delta").Where(d => (int)d["index"]! == 0), d => Assert.Equal("thinking_delta", (string)d["delta"]!["type"]!));
        Assert.All(Of(events, "content_block_delta").Where(d => (int)d["index"]! == 1), d => Assert.Equal("text_delta", (string)d["delta"]!["type"]!));
    }

    [Fact]
    public void ThereIsExactlyOneMessageStartWhateverTheEncoderIsFed()
    {
        var (canonical, events) = Run([TextChunk("a"), TextChunk("b"), Chunk("{}", "stop"), UsageChunk(3, 2)]);
        Assert.Single(canonical.OfType<ResponseStarted>());
        Assert.Single(events, e => e.Event == "message_start");

        // A second start, and blocks with no start at all, still give one message_start, first.
        var twice = Encode([new ResponseStarted("x"), new ResponseStarted("y"), new BlockStarted(0, BlockKind.Text), new BlockDelta(0, "hi"), ResponseCompleted.Instance]);
        Assert.Equal("message_start", twice[0].Event);
        Assert.Single(twice, e => e.Event == "message_start");
        var noStart = Encode([new BlockStarted(0, BlockKind.Text), new BlockDelta(0, "hi"), new ResponseFailed("overloaded_error", "Overloaded")]);
        Assert.Equal(["message_start", "content_block_start", "content_block_delta", "error"], Names(noStart));
    }

    [Fact]
    public void CachedTokensAreSplitOutOfTheInputInMessageDelta()
    {
        const string usage = """{"id":"c","object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":1000,"completion_tokens":50,"total_tokens":1050,"prompt_tokens_details":{"cached_tokens":800},"completion_tokens_details":{"reasoning_tokens":20}}}""";

        var (canonical, events) = Run([TextChunk("ok"), Chunk("{}", "stop"), usage]);

        Assert.Equal(new TokenUsage(1000, 50, CachedTokens: 800, ReasoningTokens: 20), Assert.Single(canonical.OfType<UsageReported>()).Usage);
        var messageDelta = Assert.Single(Of(events, "message_delta"));
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"input_tokens":200,"output_tokens":50,"cache_creation_input_tokens":0,"cache_read_input_tokens":800}"""),
            messageDelta["usage"]));
        // OpenAI's usage comes after the finish chunk; message_start went out before it.
        Assert.Equal(0, (int)events[0].Data["message"]!["usage"]!["cache_read_input_tokens"]!);
    }

    [Fact]
    public void ARefusalIsARefusalTextBlockAndContentFilterIsTheRefusalStopReason()
    {
        var (canonical, events) = Run([Chunk("""{"refusal":"I can't"}"""), Chunk("""{"refusal":" help."}"""), Chunk("{}", "content_filter")]);

        Assert.True(Assert.Single(canonical.OfType<BlockStarted>()).IsRefusal);
        Assert.Equal("I can't help.", Deltas(events, 0, "text"));
        Assert.Equal("refusal", (string)Assert.Single(Of(events, "message_delta"))["delta"]!["stop_reason"]!);
    }

    [Fact]
    public void AToolCallWithoutAnIdGetsOneFromTheFallbackPrefix()
    {
        var (_, events) = Run(
            [Chunk("""{"tool_calls":[{"index":3,"function":{"name":"f","arguments":"{}"}}]}""", "tool_calls")], messageId: "msg_9");

        Assert.Equal("toolu_msg_9_3", (string)Assert.Single(Of(events, "content_block_start"))["content_block"]!["id"]!);
    }

    [Fact]
    public void OtherChoicesAreIgnored()
    {
        var (_, events) = Run(
        [
            "{" + Envelope + ""","choices":[{"index":1,"delta":{"content":"other"},"finish_reason":null}]}""",
            TextChunk("mine"),
            Chunk("{}", "stop"),
        ]);

        Assert.Equal("mine", Deltas(events, 0, "text"));
    }

    [Fact]
    public void SignaturesAndRedactedThinkingAreWrittenTheAnthropicWay()
    {
        var events = Encode(
        [
            new BlockStarted(0, BlockKind.Reasoning), new BlockDelta(0, "hmm"), new ReasoningSignature(0, "sig"), new BlockStopped(0),
            new BlockStarted(1, BlockKind.Reasoning) { RedactedData = "opaque" }, new BlockDelta(1, "dropped"), new BlockStopped(1),
            new BlockStarted(2, BlockKind.Text), new BlockDelta(2, "hi"), new ReasoningSignature(2, "ignored in text"),
            new ResponseFinished(FinishReason.StopSequence, "END"), ResponseCompleted.Instance,
        ]);

        Assert.Equal(
        [
            "message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_stop", "content_block_start", "content_block_delta", "content_block_stop",
            "message_delta", "message_stop",
        ], Names(events));
        Assert.Equal("sig", (string)events[3].Data["delta"]!["signature"]!);
        Assert.Equal("signature_delta", (string)events[3].Data["delta"]!["type"]!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"type":"redacted_thinking","data":"opaque"}"""), events[5].Data["content_block"]));
        Assert.Equal("text_delta", (string)events[8].Data["delta"]!["type"]!);
        Assert.Equal("stop_sequence", (string)events[^2].Data["delta"]!["stop_reason"]!);
        Assert.Equal("END", (string)events[^2].Data["delta"]!["stop_sequence"]!);
    }
}
