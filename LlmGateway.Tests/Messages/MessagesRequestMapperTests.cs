using System.Text.Json.Nodes;
using LlmGateway.Api.Messages;

namespace LlmGateway.Tests.Messages;

public class MessagesRequestMapperTests
{
    private static JsonObject Map(string anthropicRequest, string providerModel = "gpt-4o")
    {
        var result = MessagesRequestMapper.ToOpenAiChat(JsonNode.Parse(anthropicRequest)!.AsObject(), providerModel);
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return JsonNode.Parse(result.Value.ToJsonString())!.AsObject();
    }

    [Theory]
    [InlineData("\"Be brief.\"", "Be brief.")]
    [InlineData("""[{"type":"text","text":"Be brief."},{"type":"text","text":"Be kind.","cache_control":{"type":"ephemeral"}}]""", "Be brief.\nBe kind.")]
    public void SystemAsStringOrBlocksBecomesTheFirstSystemMessage(string system, string expected)
    {
        var body = Map("""{"model":"m","max_tokens":100,"system":""" + system + ""","messages":[{"role":"user","content":"Hi"}]}""");

        var messages = body["messages"]!.AsArray();
        Assert.Equal("system", (string)messages[0]!["role"]!);
        Assert.Equal(expected, (string)messages[0]!["content"]!);
        Assert.Equal("user", (string)messages[1]!["role"]!);
        Assert.Equal("Hi", (string)messages[1]!["content"]!);
    }

    [Fact]
    public void ImagesBecomeImageUrlPartsWithDataOrHttpUrls()
    {
        var body = Map("""
            {"max_tokens":100,"messages":[{"role":"user","content":[
              {"type":"text","text":"Compare"},
              {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}},
              {"type":"image","source":{"type":"url","url":"https://example.com/p.png"}}]}]}
            """);

        var parts = body["messages"]![0]!["content"]!.AsArray();
        Assert.Equal(["text", "image_url", "image_url"], parts.Select(p => (string)p!["type"]!));
        Assert.Equal("data:image/jpeg;base64,/9j/4AAQ", (string)parts[1]!["image_url"]!["url"]!);
        Assert.Equal("https://example.com/p.png", (string)parts[2]!["image_url"]!["url"]!);
    }

    [Fact]
    public void ToolUseBecomesToolCallsAndToolResultsBecomeToolMessagesBeforeTheUserText()
    {
        var body = Map("""
            {"max_tokens":100,"messages":[
              {"role":"user","content":"Weather?"},
              {"role":"assistant","content":[
                {"type":"thinking","thinking":"hmm","signature":"s"},
                {"type":"text","text":"Let me check."},
                {"type":"tool_use","id":"toolu_A","name":"get_weather","input":{"city":"Paris"}},
                {"type":"tool_use","id":"toolu_B","name":"get_weather","input":{"city":"東京"}}]},
              {"role":"user","content":[
                {"type":"tool_result","tool_use_id":"toolu_A","content":"18C"},
                {"type":"tool_result","tool_use_id":"toolu_B","content":[{"type":"text","text":"city not found"}],"is_error":true},
                {"type":"text","text":"And tomorrow?"}]}]}
            """);

        var messages = body["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "tool", "tool", "user"], messages.Select(m => (string)m!["role"]!));
        var assistant = messages[1]!;
        Assert.Equal("Let me check.", (string)assistant["content"]!);
        var calls = assistant["tool_calls"]!.AsArray();
        Assert.Equal(["toolu_A", "toolu_B"], calls.Select(c => (string)c!["id"]!));
        Assert.Equal("get_weather", (string)calls[0]!["function"]!["name"]!);
        Assert.Equal("東京", (string)JsonNode.Parse((string)calls[1]!["function"]!["arguments"]!)!["city"]!);
        Assert.Equal("toolu_A", (string)messages[2]!["tool_call_id"]!);
        Assert.Equal("18C", (string)messages[2]!["content"]!);
        Assert.Equal("Error: city not found", (string)messages[3]!["content"]!);
        Assert.Equal("And tomorrow?", (string)messages[4]!["content"]!);
    }

    [Theory]
    [InlineData("""{"type":"auto"}""", "\"auto\"")]
    [InlineData("""{"type":"any"}""", "\"required\"")]
    [InlineData("""{"type":"none"}""", "\"none\"")]
    [InlineData("""{"type":"tool","name":"get_weather"}""", """{"type":"function","function":{"name":"get_weather"}}""")]
    public void ToolsAndToolChoiceMapToOpenAiFunctions(string toolChoice, string expected)
    {
        var body = Map("""
            {"max_tokens":100,"messages":[{"role":"user","content":"Hi"}],
             "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
             "tool_choice":
            """ + toolChoice + "}");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), body["tool_choice"]));
        var tool = Assert.Single(body["tools"]!.AsArray())!;
        Assert.Equal("function", (string)tool["type"]!);
        Assert.Equal("get_weather", (string)tool["function"]!["name"]!);
        Assert.Equal("Weather", (string)tool["function"]!["description"]!);
        Assert.Equal("string", (string)tool["function"]!["parameters"]!["properties"]!["city"]!["type"]!);
    }

    [Fact]
    public void DisableParallelToolUseTurnsOffParallelToolCalls()
    {
        var body = Map("""
            {"max_tokens":100,"messages":[{"role":"user","content":"Hi"}],
             "tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto","disable_parallel_tool_use":true}}
            """);

        Assert.False((bool)body["parallel_tool_calls"]!);
    }

    [Fact]
    public void SamplingStopStreamAndMetadataMapAndTopKIsDropped()
    {
        var body = Map("""
            {"max_tokens":256,"messages":[{"role":"user","content":"Hi"}],"temperature":0.5,"top_p":0.9,"top_k":40,
             "stop_sequences":["END"],"stream":true,"metadata":{"user_id":"user-1234"},"thinking":{"type":"enabled","budget_tokens":2048}}
            """, providerModel: "hosted/llama-3");

        Assert.Equal("hosted/llama-3", (string)body["model"]!);
        Assert.Equal(256, (int)body["max_tokens"]!);
        Assert.Equal(0.5, (double)body["temperature"]!);
        Assert.Equal(0.9, (double)body["top_p"]!);
        Assert.Null(body["top_k"]);
        Assert.Null(body["thinking"]);
        Assert.Equal(["END"], body["stop"]!.AsArray().Select(s => (string)s!));
        Assert.True((bool)body["stream"]!);
        Assert.True((bool)body["stream_options"]!["include_usage"]!);
        Assert.Equal("user-1234", (string)body["user"]!);
    }

    [Theory]
    [InlineData("gpt-5-mini", "max_completion_tokens")]
    [InlineData("openai/o3", "max_completion_tokens")]
    [InlineData("gpt-4o", "max_tokens")]
    [InlineData("qwen2.5", "max_tokens")]
    public void MaxTokensUsesTheFieldTheTargetModelAccepts(string providerModel, string field)
    {
        var body = Map("""{"max_tokens":64,"messages":[{"role":"user","content":"Hi"}]}""", providerModel);

        Assert.Equal(64, (int)body[field]!);
    }

    [Fact]
    public void ServerToolsAreAnErrorNamingTheTool()
    {
        var result = MessagesRequestMapper.ToOpenAiChat(
            JsonNode.Parse("""{"max_tokens":10,"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}""")!.AsObject(),
            "gpt-4o");

        Assert.False(result.IsSuccess);
        Assert.Equal("tools[0].type", result.Error.Param);
    }

    [Fact]
    public void EmptyTextBlocksAreDropped()
    {
        var body = Map("""{"max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":""},{"type":"text","text":"Hi 👋"}]}]}""");

        Assert.Equal("Hi 👋", (string)body["messages"]![0]!["content"]!);
    }
}
