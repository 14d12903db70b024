using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers.Anthropic;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Translation;

public partial class AnthropicToChatResponseTests
{
    private const string ThinkingTextAndTwoTools = """
        {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
         "content":[
           {"type":"thinking","thinking":"secret","signature":"sig"},
           {"type":"text","text":"I'll check "},
           {"type":"text","text":"the weather 🌦️."},
           {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city": "Paris", "days": 2}},
           {"type":"tool_use","id":"toolu_2","name":"get_time","input":{}}],
         "stop_reason":"tool_use","stop_sequence":null,
         "usage":{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":4}}
        """;

    private static readonly ResponseIdentity BodyIdentity = new("chatcmpl-1", "smart", 1741569952);

    private static CanonicalResponse DecodeBody(string message) => AnthropicBodyDecoder.Decode(Encoding.UTF8.GetBytes(message))!;

    private static JsonObject Map(string message) =>
        JsonNode.Parse(ChatCompletionsBodyEncoder.Encode(DecodeBody(message), BodyIdentity))!.AsObject();

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("pause_turn", "stop")]
    [InlineData("refusal", "content_filter")]
    [InlineData("model_context_window_exceeded", "length")]
    public void StopReasonMapsToFinishReason(string stopReason, string finishReason)
    {
        var response = Map($$$"""{"content":[{"type":"text","text":"x"}],"stop_reason":"{{{stopReason}}}","usage":{"input_tokens":1,"output_tokens":1}}""");

        Assert.Equal(finishReason, (string)response["choices"]![0]!["finish_reason"]!);
    }

    [Fact]
    public void TextBlocksAreJoinedToolUseBecomesToolCallsAndThinkingBecomesReasoningContent()
    {
        var response = Map(ThinkingTextAndTwoTools);

        Assert.Equal("chatcmpl-1", (string)response["id"]!);
        Assert.Equal("chat.completion", (string)response["object"]!);
        Assert.Equal(1741569952, (long)response["created"]!);
        Assert.Equal("smart", (string)response["model"]!);
        var message = response["choices"]![0]!["message"]!;
        Assert.Equal("assistant", (string)message["role"]!);
        Assert.Equal("I'll check the weather 🌦️.", (string)message["content"]!);
        var calls = message["tool_calls"]!.AsArray();
        Assert.Equal(2, calls.Count);
        Assert.Equal("toolu_1", (string)calls[0]!["id"]!);
        Assert.Equal("function", (string)calls[0]!["type"]!);
        Assert.Equal("get_weather", (string)calls[0]!["function"]!["name"]!);
        Assert.Equal("""{"city":"Paris","days":2}""", (string)calls[0]!["function"]!["arguments"]!);
        Assert.Equal("{}", (string)calls[1]!["function"]!["arguments"]!);
        Assert.Equal("secret", (string)message["reasoning_content"]!);
        Assert.DoesNotContain("sig", response.ToJsonString().Replace("\"signature", "", StringComparison.Ordinal));
    }

    [Fact]
    public void AResponseWithoutTextHasNullContent()
    {
        var response = Map("""{"content":[{"type":"tool_use","id":"t","name":"f","input":{}}],"stop_reason":"tool_use","usage":{}}""");

        var message = response["choices"]![0]!["message"]!.AsObject();
        Assert.True(message.ContainsKey("content"));
        Assert.Null(message["content"]);
        Assert.False(message.ContainsKey("reasoning_content"));
    }

    [Fact]
    public void UsageCountsCachedTokensInThePromptAndReportsCacheReads()
    {
        var response = Map("""
            {"content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn",
             "usage":{"input_tokens":100,"output_tokens":10,"cache_read_input_tokens":30,"cache_creation_input_tokens":20}}
            """);

        var usage = response["usage"]!;
        Assert.Equal(150, (int)usage["prompt_tokens"]!);
        Assert.Equal(10, (int)usage["completion_tokens"]!);
        Assert.Equal(160, (int)usage["total_tokens"]!);
        Assert.Equal(30, (int)usage["prompt_tokens_details"]!["cached_tokens"]!);
    }

    [Fact]
    public void TheBodyKeepsTodaysExactBytesWithUnescapedNonAscii()
    {
        // Emoji (outside the BMP) are still \u-escaped by TranslationJson's relaxed encoder, byte-equal to today's mapper.
        var body = ChatCompletionsBodyEncoder.Encode(DecodeBody("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"Hi 世界 \"x\""},
             {"type":"tool_use","id":"toolu_1","name":"f","input":{"a": [1, "é"]}}],"stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":2}}
            """), BodyIdentity);

        Assert.Equal(
            """{"id":"chatcmpl-1","object":"chat.completion","created":1741569952,"model":"smart","choices":[{"index":0,"message":{"role":"assistant","content":"Hi 世界 \"x\"","refusal":null,"tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"f","arguments":"{\"a\":[1,\"é\"]}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":2}}}""",
            Encoding.UTF8.GetString(body));
    }

    [Fact]
    public void AnythingButAMessageDecodesToNull()
    {
        Assert.Null(AnthropicBodyDecoder.Decode("""{"type":"error","error":{"type":"api_error","message":"x"}}"""u8));
        Assert.Null(AnthropicBodyDecoder.Decode("[1]"u8));
        Assert.Null(AnthropicBodyDecoder.Decode("{not json"u8));
    }

    [Fact]
    public void ReadUsageMergesCumulativeCountsFromStartAndDelta()
    {
        var start = AnthropicBodyDecoder.ReadUsage(Encoding.UTF8.GetBytes(MessageStart));
        var merged = AnthropicBodyDecoder.ReadUsage("""{"type":"message_delta","delta":{},"usage":{"output_tokens":65,"input_tokens":400}}"""u8, start);

        Assert.Equal(new TokenUsage(385, 1, CachedTokens: 5, CacheWriteTokens: 3), start);
        Assert.Equal(new TokenUsage(408, 65, CachedTokens: 5, CacheWriteTokens: 3), merged);
        Assert.Null(AnthropicBodyDecoder.ReadUsage("""{"type":"message_stop"}"""u8));
    }

    [Fact]
    public void ReadUsageTakesTheHourLongCacheWritesFromCacheCreation()
    {
        var usage = AnthropicBodyDecoder.ReadUsage("""
            {"usage":{"input_tokens":10,"cache_creation_input_tokens":300,"cache_read_input_tokens":50,
             "cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":200},"output_tokens":7}}
            """u8);

        Assert.Equal(new TokenUsage(360, 7, CachedTokens: 50, CacheWriteTokens: 300, CacheWrite1hTokens: 200), usage);
        Assert.Equal(100, usage!.Value.CacheWrite5mTokens);
    }

    [Fact]
    public void ThinkingWithASignatureStreamsAsReasoningContentAndTheFoldKeepsTheSignature()
    {
        var pipe = new Pipe();

        var chunks = Chunks(pipe.Feed(
            ("message_start", MessageStart),
            BlockStart(0, """{"type":"thinking","thinking":"","signature":""}"""),
            Delta(0, "thinking_delta", "thinking", "Let me "),
            Delta(0, "thinking_delta", "thinking", "think."),
            Delta(0, "signature_delta", "signature", "EqQBCg=="),
            BlockStop(0),
            BlockStart(1, """{"type":"redacted_thinking","data":"opaque=="}"""),
            BlockStop(1),
            BlockStart(2, """{"type":"text","text":""}"""),
            TextDelta(2, "Answer"),
            BlockStop(2),
            MessageDelta("end_turn", 9),
            ("message_stop", MessageStop)));

        Assert.Equal("Let me think.", string.Concat(chunks.Select(c => (string?)Delta(c)["reasoning_content"])));
        Assert.Equal("Answer", string.Concat(chunks.Select(c => (string?)Delta(c)["content"])));
        Assert.DoesNotContain(chunks, c => c.ToJsonString().Contains("EqQBCg", StringComparison.Ordinal) || c.ToJsonString().Contains("opaque", StringComparison.Ordinal));
        Assert.Equal(
            new ContentPart[] { new ReasoningPart("Let me think.") { Signature = "EqQBCg==" }, new ReasoningPart("") { RedactedData = "opaque==" }, new TextPart("Answer") },
            ResponseFolder.Fold(pipe.Events).Content);
    }

    [Fact]
    public void CacheReadsAndWritesWithIncludeUsageAndCostWriteTheExactUsageChunk()
    {
        TokenUsage? priced = null;
        var pipe = new Pipe(includeUsage: true, costOf: u => { priced = u; return 0.00123m; });

        var data = pipe.Feed(
            ("message_start", """{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":100,"cache_creation_input_tokens":20,"cache_read_input_tokens":30,"output_tokens":1}}}"""),
            MessageDelta("end_turn", 10),
            ("message_stop", MessageStop));

        Assert.Equal(
            """{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1727346178,"model":"smart","choices":[],"usage":{"prompt_tokens":150,"completion_tokens":10,"total_tokens":160,"prompt_tokens_details":{"cached_tokens":30},"cache_creation_input_tokens":20,"cache_read_input_tokens":30,"cost":0.00123}}""",
            data[^2]);
        Assert.Equal("[DONE]", data[^1]);
        Assert.Equal(new TokenUsage(150, 10, CachedTokens: 30, CacheWriteTokens: 20), priced);
    }

    [Fact]
    public void ADecodedBodyReplayedAsEventsStreamsTheSameTextToolCallsAndUsage()
    {
        var body = Map(ThinkingTextAndTwoTools);
        var message = body["choices"]![0]!["message"]!;

        var chunks = Chunks(new Pipe(includeUsage: true).Encode(DecodeBody(ThinkingTextAndTwoTools).ToEvents()));
        var usageChunk = chunks[^1];
        chunks.RemoveAt(chunks.Count - 1);

        Assert.Equal((string)message["content"]!, string.Concat(chunks.Select(c => (string?)Delta(c)["content"])));
        Assert.Equal((string)message["reasoning_content"]!, string.Concat(chunks.Select(c => (string?)Delta(c)["reasoning_content"])));
        var toolDeltas = chunks.SelectMany(c => Delta(c)["tool_calls"]?.AsArray() ?? []).ToList();
        var calls = message["tool_calls"]!.AsArray();
        for (var i = 0; i < calls.Count; i++)
        {
            var fragments = toolDeltas.Where(t => (int)t!["index"]! == i).ToList();
            Assert.Equal((string)calls[i]!["id"]!, (string)fragments[0]!["id"]!);
            Assert.Equal((string)calls[i]!["function"]!["name"]!, (string)fragments[0]!["function"]!["name"]!);
            Assert.Equal((string)calls[i]!["function"]!["arguments"]!, string.Concat(fragments.Select(t => (string)t!["function"]!["arguments"]!)));
        }

        Assert.Equal(calls.Count, toolDeltas.Select(t => (int)t!["index"]!).Distinct().Count());
        Assert.Equal("tool_calls", (string)chunks[^1]["choices"]![0]!["finish_reason"]!);
        Assert.True(JsonNode.DeepEquals(body["usage"], usageChunk["usage"]));
    }

    [Fact]
    public void ServerToolBlocksRanAtAnthropicAndReachNeitherTheStreamNorTheBody()
    {
        var pipe = new Pipe();

        var chunks = Chunks(pipe.Feed(
            ("message_start", MessageStart),
            BlockStart(0, """{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}"""),
            JsonDelta(0, """{"query":"x"}"""),
            BlockStop(0),
            BlockStart(1, """{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]}"""),
            BlockStop(1),
            BlockStart(2, """{"type":"text","text":"Found it."}"""),
            BlockStop(2),
            MessageDelta("end_turn", 9)));
        var body = Map("""{"content":[{"type":"server_tool_use","id":"s","name":"web_search","input":{}},{"type":"text","text":"Found it."}],"stop_reason":"end_turn"}""");

        Assert.DoesNotContain(chunks, c => Delta(c)["tool_calls"] is not null);
        Assert.Equal("Found it.", string.Concat(chunks.Select(c => (string?)Delta(c)["content"])));
        Assert.Equal(new ContentPart[] { new TextPart("Found it.") }, ResponseFolder.Fold(pipe.Events).Content);
        Assert.False(body["choices"]![0]!["message"]!.AsObject().ContainsKey("tool_calls"));
        Assert.Equal(0, (int)body["usage"]!["total_tokens"]!);
    }
}
