using System.Buffers;
using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.Responses;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Translation;

/// <summary>Canonical answers written as the Responses API's SSE grammar and as its response object.</summary>
public sealed class ResponsesStreamEncoderTests
{
    private static readonly ResponseIdentity Identity = new("resp_abc", "smart", 1700000000);

    private static List<(string Name, JsonObject Data)> Encode(params ResponseEvent[] events)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var output = new SseWriter(buffer);
        var encoder = new ResponsesStreamEncoder(Identity);
        foreach (var e in events)
            encoder.Write(e, output);
        return [.. SseText.Parse(buffer.WrittenSpan).Select(e => (e.Event!, JsonNode.Parse(e.Data)!.AsObject()))];
    }

    [Fact]
    public void EveryEventNamesItsTypeAndCountsItsSequenceNumberFromZero()
    {
        var events = Encode(new ResponseStarted(), new BlockStarted(0, BlockKind.Text), new BlockDelta(0, "Hi"), new BlockStopped(0),
            new ResponseFinished(FinishReason.Stop), ResponseCompleted.Instance);

        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"],
            events.Select(e => e.Name));
        Assert.All(events, e => Assert.Equal(e.Name, (string?)e.Data["type"]));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => (int)e.Data["sequence_number"]!));
        Assert.Equal(("msg_abc_0", "Hi"), ((string?)events[4].Data["item_id"], (string?)events[4].Data["delta"]));
        Assert.Equal("in_progress", (string?)events[0].Data["response"]!["status"]);
    }

    [Fact]
    public void AToolCallStreamsItsArgumentsAndEndsWithTheWholeCall()
    {
        var events = Encode(new ResponseStarted(), new BlockStarted(0, BlockKind.ToolCall) { ToolCallId = "toolu_1", ToolName = "get_weather" },
            new BlockDelta(0, "{\"city\":"), new BlockDelta(0, "\"Paris\"}"), new BlockStopped(0), new ResponseFinished(FinishReason.ToolCalls),
            new UsageReported(new TokenUsage(10, 5)), ResponseCompleted.Instance);

        var added = events.Single(e => e.Name == "response.output_item.added").Data["item"]!;
        Assert.Equal(("function_call", "fc_abc_0", "toolu_1", "get_weather", ""),
            ((string?)added["type"], (string?)added["id"], (string?)added["call_id"], (string?)added["name"], (string?)added["arguments"]));
        Assert.Equal(2, events.Count(e => e.Name == "response.function_call_arguments.delta"));
        var done = events.Single(e => e.Name == "response.function_call_arguments.done").Data;
        Assert.Equal(("get_weather", "{\"city\":\"Paris\"}"), ((string?)done["name"], (string?)done["arguments"]));
        var completed = events[^1].Data["response"]!;
        Assert.Equal(("completed", 10, 5, 15), ((string?)completed["status"], (int)completed["usage"]!["input_tokens"]!,
            (int)completed["usage"]!["output_tokens"]!, (int)completed["usage"]!["total_tokens"]!));
        Assert.Equal("{\"city\":\"Paris\"}", (string?)completed["output"]![0]!["arguments"]);
    }

    [Fact]
    public void SignedThinkingBecomesAReasoningItemWithItsSummaryAndTheSignatureAsEncryptedContent()
    {
        var events = Encode(new ResponseStarted(), new BlockStarted(0, BlockKind.Reasoning), new BlockDelta(0, "Think."),
            new ReasoningSignature(0, "sig-1"), new BlockStopped(0), new BlockStarted(1, BlockKind.Text), new BlockDelta(1, "Done"), new BlockStopped(1),
            ResponseCompleted.Instance);

        Assert.Equal(["response.reasoning_summary_part.added", "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
                "response.reasoning_summary_part.done"],
            events.Where(e => e.Name.Contains("reasoning_summary", StringComparison.Ordinal)).Select(e => e.Name));
        var reasoning = events.First(e => e.Name == "response.output_item.done").Data["item"]!;
        Assert.Equal(("reasoning", "rs_abc_0", "sig-1", "Think."),
            ((string?)reasoning["type"], (string?)reasoning["id"], (string?)reasoning["encrypted_content"], (string?)reasoning["summary"]![0]!["text"]));
        Assert.Equal("msg_abc_1", (string?)events.Last(e => e.Name == "response.output_item.done").Data["item"]!["id"]);
    }

    [Fact]
    public void TheOutputLimitEndsWithResponseIncompleteNamingMaxOutputTokens()
    {
        var events = Encode(new ResponseStarted(), new BlockStarted(0, BlockKind.Text), new BlockDelta(0, "Cut"), new BlockStopped(0),
            new ResponseFinished(FinishReason.Length), ResponseCompleted.Instance);

        Assert.Equal("response.incomplete", events[^1].Name);
        Assert.Equal(("incomplete", "max_output_tokens"),
            ((string?)events[^1].Data["response"]!["status"], (string?)events[^1].Data["response"]!["incomplete_details"]!["reason"]));
    }

    [Fact]
    public void AFailureAfterTheFirstByteIsAnErrorEventThenResponseFailedAndNothingAfter()
    {
        var events = Encode(new ResponseStarted(), new BlockStarted(0, BlockKind.Text), new BlockDelta(0, "Par"),
            new ResponseFailed("overloaded_error", "Overloaded"), new BlockDelta(0, "tial"), ResponseCompleted.Instance);

        Assert.Equal(["error", "response.failed"], events.TakeLast(2).Select(e => e.Name));
        Assert.Equal(("overloaded_error", "Overloaded"), ((string?)events[^2].Data["code"], (string?)events[^2].Data["message"]));
        Assert.Equal(("failed", "Overloaded"), ((string?)events[^1].Data["response"]!["status"], (string?)events[^1].Data["response"]!["error"]!["message"]));
    }

    [Fact]
    public void TheBodyEncoderWritesTheResponseObjectWithUsageDetails()
    {
        var answer = new CanonicalResponse { Finish = FinishReason.Stop, Usage = new TokenUsage(100, 40, CachedTokens: 60, ReasoningTokens: 30) };
        answer.Content.Add(new ReasoningPart("Hmm") { RedactedData = "opaque" });
        answer.Content.Add(new TextPart("Hello"));

        var body = JsonNode.Parse(ResponsesBodyEncoder.Encode(answer, Identity))!;

        Assert.Equal(("resp_abc", "response", "completed", 1700000000L),
            ((string?)body["id"], (string?)body["object"], (string?)body["status"], (long)body["created_at"]!));
        Assert.Equal("redacted_thinking:opaque", (string?)body["output"]![0]!["encrypted_content"]);
        Assert.Equal(("message", "Hello"), ((string?)body["output"]![1]!["type"], (string?)body["output"]![1]!["content"]![0]!["text"]));
        Assert.Equal((60, 30), ((int)body["usage"]!["input_tokens_details"]!["cached_tokens"]!, (int)body["usage"]!["output_tokens_details"]!["reasoning_tokens"]!));
    }
}
