using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers.Anthropic;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Translation;

/// <summary>Chat completions request → canonical → Anthropic Messages request, through the decoder and encoder pair.</summary>
public partial class ChatToAnthropicRequestTests
{
    private static JsonObject Json(string json) => JsonNode.Parse(json)!.AsObject();

    private static CanonicalRequest Decode(JsonObject request)
    {
        var decoded = ChatCompletionsRequestDecoder.Decode(request);
        Assert.True(decoded.IsSuccess, decoded.Error?.ToString());
        return decoded.Value;
    }

    private static TranslationResult<JsonObject> Translate(JsonObject request, int? deploymentMaxTokens = null, bool dropParams = false)
    {
        var decoded = ChatCompletionsRequestDecoder.Decode(request);
        return decoded.IsSuccess
            ? AnthropicRequestEncoder.Encode(decoded.Value, new UpstreamTarget("claude-sonnet-4-5", deploymentMaxTokens, dropParams))
            : TranslationResult<JsonObject>.Failure(decoded.Error);
    }

    private static JsonObject Encode(CanonicalRequest request, int? deploymentMaxTokens = null, bool dropParams = false)
    {
        var result = AnthropicRequestEncoder.Encode(request, new UpstreamTarget("claude-sonnet-4-5", deploymentMaxTokens, dropParams));
        Assert.True(result.IsSuccess, result.Error?.ToString());
        return Json(result.Value.ToJsonString()); // assert on what goes over the wire
    }

    private static JsonObject Map(string request, int? deploymentMaxTokens = null, bool dropParams = false) =>
        Encode(Decode(Json(request)), deploymentMaxTokens, dropParams);

    private static TranslationError MapError(string request, bool dropParams = false)
    {
        var result = Translate(Json(request), null, dropParams);
        Assert.False(result.IsSuccess);
        return result.Error;
    }

    [Fact]
    public void SystemAndDeveloperMessagesBecomeTopLevelSystemBlocksInOrder()
    {
        var body = Map("""
            {"model":"g","messages":[
              {"role":"developer","content":"Answer tersely."},
              {"role":"system","content":[{"type":"text","text":"You are a weather bot.","cache_control":{"type":"ephemeral"}}]},
              {"role":"user","content":"Hi"},
              {"role":"system","content":"Late rule."}]}
            """);

        var system = body["system"]!.AsArray();
        Assert.Equal(["Answer tersely.", "You are a weather bot.", "Late rule."], system.Select(b => (string)b!["text"]!));
        Assert.Equal("ephemeral", (string)system[1]!["cache_control"]!["type"]!);
        Assert.Equal("claude-sonnet-4-5", (string)body["model"]!);
        var turn = Assert.Single(body["messages"]!.AsArray());
        Assert.Equal("user", (string)turn!["role"]!);
        Assert.Equal("Hi", (string)turn["content"]![0]!["text"]!);
    }

    [Theory]
    [InlineData("data:image/png;base64,iVBORw0KGgo=", "base64", "image/png", "iVBORw0KGgo=")]
    [InlineData("data:image/jpeg;base64,/9j/4AAQ", "base64", "image/jpeg", "/9j/4AAQ")]
    [InlineData("https://example.com/p.png", "url", null, null)]
    [InlineData("http://example.com/p.gif", "url", null, null)]
    public void ImageUrlPartsBecomeImageBlocksWithTheRightSource(string url, string sourceType, string? mediaType, string? data)
    {
        var body = Map($$$"""
            {"messages":[{"role":"user","content":[
              {"type":"text","text":"What is this?"},
              {"type":"image_url","image_url":{"url":"{{{url}}}","detail":"auto"}}]}]}
            """);

        var content = body["messages"]![0]!["content"]!.AsArray();
        Assert.Equal("text", (string)content[0]!["type"]!);
        Assert.Equal("image", (string)content[1]!["type"]!);
        var source = content[1]!["source"]!;
        Assert.Equal(sourceType, (string)source["type"]!);
        if (sourceType == "url")
        {
            Assert.Equal(url, (string)source["url"]!);
        }
        else
        {
            Assert.Equal(mediaType, (string)source["media_type"]!);
            Assert.Equal(data, (string)source["data"]!);
        }
    }

    [Fact]
    public void APdfDataUrlBecomesADocumentBlock()
    {
        var body = Map("""{"messages":[{"role":"user","content":[{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0x"}}]}]}""");

        var block = body["messages"]![0]!["content"]![0]!;
        Assert.Equal("document", (string)block["type"]!);
        Assert.Equal("application/pdf", (string)block["source"]!["media_type"]!);
        Assert.Equal("JVBERi0x", (string)block["source"]!["data"]!);
    }

    [Fact]
    public void AnImageUrlThatIsNeitherHttpNorDataNamesTheField()
    {
        var error = MapError("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}""");

        Assert.Equal("messages[0].content[0].image_url.url", error.Param);
    }

    [Fact]
    public void AssistantToolCallsBecomeToolUseBlocksAndToolMessagesMergeIntoOneUserTurn()
    {
        var body = Map("""
            {"messages":[
              {"role":"user","content":"Weather in Paris and Tokyo?"},
              {"role":"assistant","content":"Checking.","tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":""}}]},
              {"role":"tool","tool_call_id":"call_1","content":"18C"},
              {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"25C"}]},
              {"role":"user","content":"Thanks"}]}
            """);

        var turns = body["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user"], turns.Select(t => (string)t!["role"]!));
        var assistant = turns[1]!["content"]!.AsArray();
        Assert.Equal(["text", "tool_use", "tool_use"], assistant.Select(b => (string)b!["type"]!));
        Assert.Equal("call_1", (string)assistant[1]!["id"]!);
        Assert.Equal("get_weather", (string)assistant[1]!["name"]!);
        Assert.Equal("Paris", (string)assistant[1]!["input"]!["city"]!);
        Assert.Empty(assistant[2]!["input"]!.AsObject());

        var results = turns[2]!["content"]!.AsArray();
        Assert.Equal(["tool_result", "tool_result", "text"], results.Select(b => (string)b!["type"]!));
        Assert.Equal("call_1", (string)results[0]!["tool_use_id"]!);
        Assert.Equal("18C", (string)results[0]!["content"]!);
        Assert.Equal("25C", (string)results[1]!["content"]!); // a lone text part is sent as a string, as string content is
        Assert.Equal("Thanks", (string)results[2]!["text"]!);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    public void ToolCallArgumentsThatAreNotAJsonObjectNameTheField(string arguments)
    {
        var request = new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "go" },
                new JsonObject
                {
                    ["role"] = "assistant",
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["id"] = "call_1", ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = "f", ["arguments"] = arguments },
                    }),
                }),
        };

        var result = Translate(request, dropParams: true);

        Assert.False(result.IsSuccess);
        Assert.Equal("messages[1].tool_calls[0].function.arguments", result.Error.Param);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("[]")]
    [InlineData("""[{"type":"text","text":""}]""")]
    [InlineData("null")]
    public void AnEmptyUserMessageIsAnErrorNamingItsContent(string content)
    {
        var error = MapError($$"""{"messages":[{"role":"system","content":"s"},{"role":"user","content":{{content}}}]}""");

        Assert.Equal("messages[1].content", error.Param);
    }

    [Fact]
    public void EmptyTextPartsAndEmptyAssistantTurnsAreDroppedAndTheTurnsAroundThemMerge()
    {
        var body = Map("""
            {"messages":[
              {"role":"user","content":[{"type":"text","text":""},{"type":"text","text":"One"}]},
              {"role":"assistant","content":""},
              {"role":"user","content":"Two"},
              {"role":"assistant","content":"Sure, "}]}
            """);

        var turns = body["messages"]!.AsArray();
        Assert.Equal(["user", "assistant"], turns.Select(t => (string)t!["role"]!));
        Assert.Equal(["One", "Two"], turns[0]!["content"]!.AsArray().Select(b => (string)b!["text"]!));
        Assert.Equal("Sure,", (string)turns[1]!["content"]![0]!["text"]!);
    }

    [Fact]
    public void EmojiAndCjkPassThroughUnchanged()
    {
        var body = Map("""{"messages":[{"role":"user","content":"天気は？ 🌦️"}]}""");

        Assert.Equal("天気は？ 🌦️", (string)body["messages"]![0]!["content"]![0]!["text"]!);
    }

    [Fact]
    public void TheInputRequestIsNotModified()
    {
        var request = Json("""{"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}""");
        var before = request.ToJsonString();

        Translate(request);

        Assert.Equal(before, request.ToJsonString());
    }

    [Fact]
    public void SignedReasoningInHistoryRoundTripsUnchangedIntoThinkingBlocks()
    {
        var body = Map("""
            {"messages":[
              {"role":"user","content":"2+2?"},
              {"role":"assistant","content":"4","reasoning_content":"Adding.","thinking_blocks":[
                {"type":"thinking","thinking":"Adding 2 and 2.","signature":"EqQBCkYIBxgCKkD=="},
                {"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}]},
              {"role":"user","content":"And 3+3?"}]}
            """);

        var assistant = body["messages"]![1]!["content"]!.AsArray();
        Assert.Equal(["thinking", "redacted_thinking", "text"], assistant.Select(b => (string)b!["type"]!));
        Assert.Equal("Adding 2 and 2.", (string)assistant[0]!["thinking"]!);
        Assert.Equal("EqQBCkYIBxgCKkD==", (string)assistant[0]!["signature"]!);
        Assert.Equal("EmwKAhgBEgy3va3pzix", (string)assistant[1]!["data"]!);
    }

    [Fact]
    public void UnsignedReasoningContentIsDropped()
    {
        var body = Map("""
            {"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello","reasoning_content":"Greeting."},
              {"role":"user","content":"Bye"}]}
            """);

        Assert.Equal(["text"], body["messages"]![1]!["content"]!.AsArray().Select(b => (string)b!["type"]!));
    }

    [Fact]
    public void AToolResultThatIsAnErrorSaysSo()
    {
        var request = Decode(Json("""
            {"messages":[{"role":"user","content":"go"},
              {"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"boom"}]}
            """));
        var turn = request.Messages[2];
        turn.Parts[0] = ((ToolResultPart)turn.Parts[0]) with { IsError = true };

        var result = Encode(request)["messages"]![2]!["content"]![0]!;

        Assert.Equal("tool_result", (string)result["type"]!);
        Assert.Equal("boom", (string)result["content"]!);
        Assert.True((bool)result["is_error"]!);
    }

    [Fact]
    public void ParallelToolCallsInOneAssistantTurnBecomeOneToolUseBlockEach()
    {
        var body = Map("""
            {"messages":[{"role":"user","content":"Weather in Paris and Tokyo?"},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                {"id":"call_b","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Tokyo\"}"}}]},
              {"role":"tool","tool_call_id":"call_a","content":"18C"},
              {"role":"tool","tool_call_id":"call_b","content":"25C"}]}
            """);

        var turns = body["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "user"], turns.Select(t => (string)t!["role"]!));
        var calls = turns[1]!["content"]!.AsArray();
        Assert.Equal(["call_a", "call_b"], calls.Select(b => (string)b!["id"]!));
        Assert.Equal(["Paris", "Tokyo"], calls.Select(b => (string)b!["input"]!["city"]!));
        Assert.Equal(["call_a", "call_b"], turns[2]!["content"]!.AsArray().Select(b => (string)b!["tool_use_id"]!));
    }
}
