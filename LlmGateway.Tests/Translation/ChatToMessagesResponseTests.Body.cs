using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.Messages;
using LlmGateway.Api.Providers.OpenAiCompatible;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Translation;

public partial class ChatToMessagesResponseTests
{
    private static readonly ResponseIdentity BodyIdentity = new("msg_123", "smart", 0);

    private static JsonObject Map(string openAiCompletion)
    {
        var response = OpenAiChatBodyDecoder.Decode(Encoding.UTF8.GetBytes(openAiCompletion));
        Assert.NotNull(response);
        return JsonNode.Parse(MessagesBodyEncoder.Encode(response, BodyIdentity))!.AsObject();
    }

    [Theory]
    [InlineData("stop", "end_turn")]
    [InlineData("length", "max_tokens")]
    [InlineData("tool_calls", "tool_use")]
    [InlineData("function_call", "tool_use")]
    [InlineData("content_filter", "refusal")]
    public void FinishReasonMapsToStopReason(string finishReason, string stopReason)
    {
        var message = Map($$$"""{"choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"{{{finishReason}}}"}]}""");

        Assert.Equal(stopReason, (string)message["stop_reason"]!);
        Assert.Null(message["stop_sequence"]);
    }

    [Fact]
    public void ContentBecomesATextBlockAndToolCallsBecomeToolUseBlocks()
    {
        const string completion = """
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06",
             "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Checking 天気.",
               "tool_calls":[
                 {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                 {"id":"call_2","type":"function","function":{"name":"get_time","arguments":""}},
                 {"id":"call_3","type":"function","function":{"name":"broken","arguments":"{\"city\":"}}]}}]}
            """;
        var message = Map(completion);

        Assert.Equal("msg_123", (string)message["id"]!);
        Assert.Equal("message", (string)message["type"]!);
        Assert.Equal("assistant", (string)message["role"]!);
        Assert.Equal("smart", (string)message["model"]!);
        var content = message["content"]!.AsArray();
        Assert.Equal(["text", "tool_use", "tool_use", "tool_use"], content.Select(b => (string)b!["type"]!));
        Assert.Equal("Checking 天気.", (string)content[0]!["text"]!);
        Assert.Equal("call_1", (string)content[1]!["id"]!);
        Assert.Equal("get_weather", (string)content[1]!["name"]!);
        Assert.Equal("Paris", (string)content[1]!["input"]!["city"]!);
        Assert.Equal("direct", (string)content[1]!["caller"]!["type"]!);
        Assert.Empty(content[2]!["input"]!.AsObject());
        Assert.Equal("{\"city\":", (string)content[3]!["input"]!["_raw"]!);
        // UTF-8 as is, not \u escapes.
        Assert.Contains("Checking 天気.", Encoding.UTF8.GetString(MessagesBodyEncoder.Encode(OpenAiChatBodyDecoder.Decode(Encoding.UTF8.GetBytes(completion))!, BodyIdentity)));
    }

    [Fact]
    public void UsageSplitsCachedTokensOutOfTheInput()
    {
        var message = Map("""
            {"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":100,"completion_tokens":7,"total_tokens":107,"prompt_tokens_details":{"cached_tokens":40}}}
            """);

        var usage = message["usage"]!;
        Assert.Equal(60, (int)usage["input_tokens"]!);
        Assert.Equal(40, (int)usage["cache_read_input_tokens"]!);
        Assert.Equal(0, (int)usage["cache_creation_input_tokens"]!);
        Assert.Equal(7, (int)usage["output_tokens"]!);
    }

    [Fact]
    public void AnEmptyAnswerHasNoContentBlocks()
    {
        var message = Map("""{"choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"stop"}]}""");

        Assert.Empty(message["content"]!.AsArray());
        Assert.Equal(0, (int)message["usage"]!["input_tokens"]!);
    }

    [Fact]
    public void ReasoningComesFirstAndContentPartsAndRefusalsAreText()
    {
        var withReasoning = Map("""{"choices":[{"message":{"reasoning_content":"why","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},"finish_reason":"stop"}]}""");
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""[{"type":"thinking","thinking":"why","signature":""},{"type":"text","text":"ab"}]"""), withReasoning["content"]));

        var refusal = OpenAiChatBodyDecoder.Decode("""{"choices":[{"message":{"content":null,"refusal":"No."},"finish_reason":"content_filter"}]}"""u8)!;
        Assert.Equal([new TextPart("No.") { IsRefusal = true }], refusal.Content);
        Assert.Equal(FinishReason.ContentFilter, refusal.Finish);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("{\"object\":\"list\",\"data\":[]}")]
    [InlineData("not json")]
    public void SomethingThatIsNotACompletionDecodesToNull(string json) =>
        Assert.Null(OpenAiChatBodyDecoder.Decode(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void ADecodedBodyReplayedAsEventsStreamsTheSameMessage()
    {
        var completion = """
            {"id":"chatcmpl-9","model":"gpt-4o","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant",
              "reasoning_content":"plan","content":"Let me look 🌦️.",
              "tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}},
                            {"id":"call_2","type":"function","function":{"name":"time","arguments":"{}"}}]}}],
             "usage":{"prompt_tokens":30,"completion_tokens":12,"total_tokens":42,"prompt_tokens_details":{"cached_tokens":10}}}
            """;
        var response = OpenAiChatBodyDecoder.Decode(Encoding.UTF8.GetBytes(completion))!;
        var body = JsonNode.Parse(MessagesBodyEncoder.Encode(response, BodyIdentity))!;

        var events = Encode(response.ToEvents(), "msg_123");

        Assert.True(JsonNode.DeepEquals(body["content"], Accumulate(events)), Accumulate(events).ToJsonString());
        Assert.True(JsonNode.DeepEquals(body["usage"], events[0].Data["message"]!["usage"]));
        Assert.True(JsonNode.DeepEquals(body["usage"], Assert.Single(Of(events, "message_delta"))["usage"]));
        Assert.Equal("tool_use", (string)Assert.Single(Of(events, "message_delta"))["delta"]!["stop_reason"]!);
    }

    /// <summary>The content a client builds from the stream: blocks from their starts, deltas appended, tool input parsed at the stop.</summary>
    private static JsonArray Accumulate(List<SseEvent> events)
    {
        var content = new JsonArray();
        var partialJson = new StringBuilder();
        foreach (var (name, data) in events)
        {
            var index = (int?)data["index"];
            if (name == "content_block_start")
            {
                Assert.Equal(content.Count, index);
                content.Add(data["content_block"]!.DeepClone());
                partialJson.Clear();
            }
            else if (name == "content_block_delta")
            {
                var block = content[index!.Value]!;
                var delta = data["delta"]!;
                var field = (string)delta["type"]! switch
                {
                    "text_delta" => "text",
                    "thinking_delta" => "thinking",
                    "signature_delta" => "signature",
                    _ => null,
                };
                if (field is null)
                {
                    partialJson.Append((string)delta["partial_json"]!);
                }
                else
                {
                    block[field] = (string)block[field]! + (string)delta[field]!;
                }
            }
            else if (name == "content_block_stop" && content[index!.Value]!["type"]!.GetValue<string>() == "tool_use")
            {
                content[index.Value]!["input"] = partialJson.Length == 0 ? new JsonObject() : JsonNode.Parse(partialJson.ToString());
            }
        }

        return content;
    }
}
