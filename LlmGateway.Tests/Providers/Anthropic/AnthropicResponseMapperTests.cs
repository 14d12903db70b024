using System.Text.Json.Nodes;
using LlmGateway.Api.Providers.Anthropic;

namespace LlmGateway.Tests.Providers.Anthropic;

public class AnthropicResponseMapperTests
{
    private static JsonObject Map(string anthropicMessage)
    {
        var response = AnthropicResponseMapper.ToOpenAi(JsonNode.Parse(anthropicMessage)!.AsObject(), "smart", "chatcmpl-1", 1741569952);
        return JsonNode.Parse(response.ToJsonString())!.AsObject();
    }

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
    public void TextBlocksAreJoinedToolUseBecomesToolCallsAndThinkingIsIgnored()
    {
        var response = Map("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
             "content":[
               {"type":"thinking","thinking":"secret","signature":"sig"},
               {"type":"text","text":"I'll check "},
               {"type":"text","text":"the weather 🌦️."},
               {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris","days":2}},
               {"type":"tool_use","id":"toolu_2","name":"get_time","input":{}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":10,"output_tokens":5}}
            """);

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
        var arguments = (string)calls[0]!["function"]!["arguments"]!;
        Assert.Equal("""{"city":"Paris","days":2}""", arguments);
        Assert.Equal("{}", (string)calls[1]!["function"]!["arguments"]!);
        Assert.DoesNotContain("secret", response.ToJsonString());
    }

    [Fact]
    public void AResponseWithoutTextHasNullContent()
    {
        var response = Map("""{"content":[{"type":"tool_use","id":"t","name":"f","input":{}}],"stop_reason":"tool_use","usage":{}}""");

        var message = response["choices"]![0]!["message"]!.AsObject();
        Assert.True(message.ContainsKey("content"));
        Assert.Null(message["content"]);
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
}
