using System.Text.Json.Nodes;
using LlmGateway.Api.Messages;

namespace LlmGateway.Tests.Messages;

public class MessagesResponseMapperTests
{
    private static JsonObject Map(string openAiCompletion)
    {
        var message = MessagesResponseMapper.ToAnthropic(JsonNode.Parse(openAiCompletion)!.AsObject(), "smart", "msg_123");
        return JsonNode.Parse(message.ToJsonString())!.AsObject();
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
        var message = Map("""
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06",
             "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Checking 天気.",
               "tool_calls":[
                 {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                 {"id":"call_2","type":"function","function":{"name":"get_time","arguments":""}},
                 {"id":"call_3","type":"function","function":{"name":"broken","arguments":"{\"city\":"}}]}}]}
            """);

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
        Assert.Empty(content[2]!["input"]!.AsObject());
        Assert.Equal("{\"city\":", (string)content[3]!["input"]!["_raw"]!);
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
}
