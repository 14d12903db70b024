using System.Text;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers.OpenAiResponses;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Providers;

/// <summary>A Responses API upstream stream → canonical events: text, tool calls, reasoning, usage, the end and in-band errors.</summary>
public class OpenAiResponsesStreamDecoderTests
{
    internal const string Created = """{"type":"response.created","sequence_number":0,"response":{"id":"resp_up1","object":"response","model":"gpt-5","status":"in_progress","output":[]}}""";

    internal static string Completed(string status = "completed", string extra = "") =>
        "{\"type\":\"response." + status + "\",\"sequence_number\":99,\"response\":{\"id\":\"resp_up1\",\"object\":\"response\",\"model\":\"gpt-5\",\"status\":\"" + status + "\"" + extra
        + ",\"output\":[],\"usage\":{\"input_tokens\":120,\"input_tokens_details\":{\"cached_tokens\":100},\"output_tokens\":40,\"output_tokens_details\":{\"reasoning_tokens\":25},\"total_tokens\":160}}}";

    internal static readonly (string, string)[] TextStream =
    [
        ("response.created", Created),
        ("response.in_progress", Created.Replace("response.created", "response.in_progress")),
        ("response.output_item.added", """{"type":"response.output_item.added","output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","content":[]}}"""),
        ("response.content_part.added", """{"type":"response.content_part.added","item_id":"msg_1","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}"""),
        ("response.output_text.delta", """{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hel","logprobs":[]}"""),
        ("response.output_text.delta", """{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"lo","logprobs":[]}"""),
        ("response.output_text.done", """{"type":"response.output_text.done","item_id":"msg_1","output_index":0,"content_index":0,"text":"Hello"}"""),
        ("response.output_item.done", """{"type":"response.output_item.done","output_index":0,"item":{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello","annotations":[]}]}}"""),
        ("response.completed", Completed()),
    ];

    internal static List<ResponseEvent> Decode(params (string Name, string Data)[] events)
    {
        var decoder = new OpenAiResponsesStreamDecoder();
        var output = new List<ResponseEvent>();
        foreach (var (name, data) in events)
        {
            decoder.Decode(name, Encoding.UTF8.GetBytes(data), output);
        }

        return output;
    }

    [Fact]
    public void TextDeltasBecomeOneTextBlockAndTheCompletedEventGivesUsageWithCachedAndReasoningTokens()
    {
        var events = Decode(TextStream);

        Assert.Equal(
            [
                new ResponseStarted("resp_up1", "gpt-5"), new BlockStarted(0, BlockKind.Text), new BlockDelta(0, "Hel"), new BlockDelta(0, "lo"),
                new BlockStopped(0), new UsageReported(new TokenUsage(120, 40, CachedTokens: 100, ReasoningTokens: 25)),
                new ResponseFinished(FinishReason.Stop), ResponseCompleted.Instance,
            ],
            events);
    }

    [Fact]
    public void AFunctionCallIsAToolCallBlockWithItsCallIdAndTheAnswerFinishesWithToolCalls()
    {
        var events = Decode(
            ("response.created", Created),
            ("response.output_item.added", """{"type":"response.output_item.added","output_index":0,"item":{"id":"fc_1","type":"function_call","status":"in_progress","call_id":"call_abc","name":"get_weather","arguments":""}}"""),
            ("response.function_call_arguments.delta", """{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"{\"city\":"}"""),
            ("response.function_call_arguments.delta", """{"type":"response.function_call_arguments.delta","item_id":"fc_1","output_index":0,"delta":"\"Paris\"}"}"""),
            ("response.function_call_arguments.done", """{"type":"response.function_call_arguments.done","item_id":"fc_1","output_index":0,"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}"""),
            ("response.output_item.done", """{"type":"response.output_item.done","output_index":0,"item":{"id":"fc_1","type":"function_call","status":"completed","call_id":"call_abc","name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}"""),
            ("response.completed", Completed()));

        var start = Assert.IsType<BlockStarted>(events[1]);
        Assert.Equal((BlockKind.ToolCall, "call_abc", "get_weather", false), (start.Kind, start.ToolCallId, start.ToolName, start.Freeform));
        Assert.Equal("{\"city\":\"Paris\"}", string.Concat(events.OfType<BlockDelta>().Select(d => d.Text)));
        Assert.Contains(new ResponseFinished(FinishReason.ToolCalls), events);
    }

    [Fact]
    public void ACustomToolCallWhoseInputCameOnlyWhenDoneIsAFreeformToolCall()
    {
        var events = Decode(
            ("response.created", Created),
            ("response.output_item.done", """{"type":"response.output_item.done","output_index":0,"item":{"id":"ctc_1","type":"custom_tool_call","status":"completed","call_id":"call_p","name":"apply_patch","input":"*** Begin Patch"}}"""),
            ("response.completed", Completed()));

        var start = Assert.IsType<BlockStarted>(events[1]);
        Assert.Equal((BlockKind.ToolCall, "call_p", "apply_patch", true), (start.Kind, start.ToolCallId, start.ToolName, start.Freeform));
        Assert.Equal(new BlockDelta(0, "*** Begin Patch"), events[2]);
        Assert.Equal(new BlockStopped(0), events[3]);
    }

    [Fact]
    public void AReasoningItemIsOneReasoningBlockCarryingItsIdAndEncryptedContent()
    {
        var events = Decode(
            ("response.created", Created),
            ("response.output_item.added", """{"type":"response.output_item.added","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[]}}"""),
            ("response.reasoning_summary_text.delta", """{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Thinking"}"""),
            ("response.output_item.done", """{"type":"response.output_item.done","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"Thinking about it"}],"encrypted_content":"gAAAA-opaque"}}"""),
            ("response.completed", Completed()));

        Assert.Equal(
            [
                new ResponseStarted("resp_up1", "gpt-5"),
                new BlockStarted(0, BlockKind.Reasoning) { ReasoningId = "rs_1", EncryptedContent = "gAAAA-opaque" },
                new BlockDelta(0, "Thinking about it"), new BlockStopped(0),
            ],
            events.Take(4));
    }

    [Fact]
    public void AnIncompleteResponseFinishesAtTheOutputLimitUnlessAContentFilterStoppedIt()
    {
        var length = Decode(("response.created", Created), ("response.incomplete", Completed("incomplete", ""","incomplete_details":{"reason":"max_output_tokens"}""")));
        var filtered = Decode(("response.created", Created), ("response.incomplete", Completed("incomplete", ""","incomplete_details":{"reason":"content_filter"}""")));

        Assert.Contains(new ResponseFinished(FinishReason.Length), length);
        Assert.Equal(ResponseCompleted.Instance, length[^1]);
        Assert.Contains(new ResponseFinished(FinishReason.ContentFilter), filtered);
    }

    [Fact]
    public void AFailedResponseAndAnErrorEventAreInBandErrorsAndNothingFollows()
    {
        var failed = Decode(
            ("response.created", Created),
            ("response.failed", """{"type":"response.failed","response":{"id":"resp_up1","status":"failed","error":{"code":"server_error","message":"The model crashed."}}}"""),
            ("response.completed", Completed()));
        var error = Decode(("error", """{"type":"error","code":"rate_limit_exceeded","message":"Slow down.","param":null}"""));

        Assert.Equal(new ResponseFailed("server_error", "The model crashed."), failed[^1]);
        Assert.Equal(2, failed.Count);
        Assert.Equal([new ResponseFailed("rate_limit_exceeded", "Slow down.")], error);
    }

    [Fact]
    public void EventsWithoutEventLinesAreReadByTheirType()
    {
        var events = Decode(TextStream.Select(e => ("", e.Item2)).ToArray());

        Assert.Equal(ResponseCompleted.Instance, events[^1]);
        Assert.Contains(new BlockDelta(0, "Hel"), events);
    }

    [Fact]
    public void APayloadThatIsNotJsonIsAnInBandError()
    {
        var events = Decode(("response.output_text.delta", "{not json"));

        Assert.IsType<ResponseFailed>(Assert.Single(events));
    }
}
