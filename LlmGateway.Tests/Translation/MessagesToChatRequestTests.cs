using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.Messages;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers.OpenAiCompatible;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Translation;

/// <summary>Anthropic Messages request → canonical → OpenAI chat completions request.</summary>
public class MessagesToChatRequestTests
{
    private static CanonicalRequest Decode(string anthropicRequest)
    {
        var decoded = MessagesRequestDecoder.Decode(JsonNode.Parse(anthropicRequest)!.AsObject());
        Assert.True(decoded.IsSuccess, decoded.Error?.ToString());
        return decoded.Value;
    }

    private static JsonObject Map(string anthropicRequest, string providerModel = "gpt-4o", long? ceiling = null, bool dropParams = false)
    {
        var result = OpenAiChatRequestEncoder.Encode(Decode(anthropicRequest), new UpstreamTarget(providerModel, ceiling, dropParams));
        Assert.True(result.IsSuccess, result.Error?.ToString());
        // Round-trip through text: the body must serialize, and assertions then read plain parsed JSON.
        return JsonNode.Parse(result.Value.ToJsonString(TranslationJson.Options))!.AsObject();
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
    public void ImagesBecomeImageUrlPartsWithDataOrHttpUrlsAndPdfsFileParts()
    {
        var body = Map("""
            {"max_tokens":100,"messages":[{"role":"user","content":[
              {"type":"text","text":"Compare"},
              {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}},
              {"type":"image","source":{"type":"url","url":"https://example.com/p.png"}},
              {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBER"}}]}]}
            """);

        var parts = body["messages"]![0]!["content"]!.AsArray();
        Assert.Equal(["text", "image_url", "image_url", "file"], parts.Select(p => (string)p!["type"]!));
        Assert.Equal("data:image/jpeg;base64,/9j/4AAQ", (string)parts[1]!["image_url"]!["url"]!);
        Assert.Equal("https://example.com/p.png", (string)parts[2]!["image_url"]!["url"]!);
        Assert.Equal(("document.pdf", "data:application/pdf;base64,JVBER"), ((string)parts[3]!["file"]!["filename"]!, (string)parts[3]!["file"]!["file_data"]!));
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

    [Fact]
    public void ImagesAndPdfsAToolResultHoldsFollowTheToolMessagesInAUserMessageNamingTheirCall()
    {
        // Claude Code's Read of a screenshot and of a PDF: Chat Completions' tool messages hold text only.
        var body = Map("""
            {"max_tokens":10,"messages":[{"role":"user","content":"Read both"},
              {"role":"assistant","content":[{"type":"tool_use","id":"toolu_A","name":"Read","input":{"file_path":"/w/a.png"}},
                {"type":"tool_use","id":"toolu_B","name":"Read","input":{"file_path":"/w/b.pdf"}}]},
              {"role":"user","content":[
                {"type":"tool_result","tool_use_id":"toolu_A","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]},
                {"type":"tool_result","tool_use_id":"toolu_B","content":[{"type":"text","text":"PDF read"},
                  {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0xLjc="}}]}]}]}
            """);

        var messages = body["messages"]!.AsArray();
        Assert.Equal(["user", "assistant", "tool", "tool", "user"], messages.Select(m => (string)m!["role"]!));
        Assert.Equal("(attached in the next user message)", (string)messages[2]!["content"]!);
        Assert.Equal("PDF read", (string)messages[3]!["content"]!);
        var attached = messages[4]!["content"]!.AsArray();
        Assert.Equal(["text", "image_url", "text", "file"], attached.Select(p => (string)p!["type"]!));
        Assert.Equal("Attached to the result of tool call toolu_A:", (string)attached[0]!["text"]!);
        Assert.Equal("data:image/png;base64,iVBORw0KGgo=", (string)attached[1]!["image_url"]!["url"]!);
        Assert.Equal("Attached to the result of tool call toolu_B:", (string)attached[2]!["text"]!);
        Assert.Equal("data:application/pdf;base64,JVBERi0xLjc=", (string)attached[3]!["file"]!["file_data"]!);
    }

    [Fact]
    public void AToolResultsImageComesBeforeTheUsersOwnWordsInTheMessageAfterTheToolMessages()
    {
        var body = Map("""
            {"max_tokens":10,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"toolu_A","name":"screenshot","input":{}}]},
              {"role":"user","content":[
                {"type":"tool_result","tool_use_id":"toolu_A","is_error":true,"content":[{"type":"text","text":"partial"},
                  {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]},
                {"type":"text","text":"What went wrong?"}]}]}
            """);

        var messages = body["messages"]!.AsArray();
        Assert.Equal(["assistant", "tool", "user"], messages.Select(m => (string)m!["role"]!));
        Assert.Equal("Error: partial", (string)messages[1]!["content"]!);
        Assert.Equal(["text", "image_url", "text"], messages[2]!["content"]!.AsArray().Select(p => (string)p!["type"]!));
        Assert.Equal("What went wrong?", (string)messages[2]!["content"]![2]!["text"]!);

        // Attachments held over a later assistant turn's boundary would be out of place: they close before it.
        var twoRounds = Map("""
            {"max_tokens":10,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"toolu_A","name":"shot","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_A","content":[
                {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]},
              {"role":"assistant","content":[{"type":"text","text":"Seen."}]}]}
            """)["messages"]!.AsArray();
        Assert.Equal(["assistant", "tool", "user", "assistant"], twoRounds.Select(m => (string)m!["role"]!));
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
        Assert.Null(body["reasoning_effort"]);
        Assert.Equal(["END"], body["stop"]!.AsArray().Select(s => (string)s!));
        Assert.True((bool)body["stream"]!);
        Assert.True((bool)body["stream_options"]!["include_usage"]!);
        Assert.Equal("user-1234", (string)body["user"]!);
    }

    [Theory]
    [InlineData("gpt-5-mini", "max_completion_tokens", 64, null, 64)]
    [InlineData("openai/o3", "max_completion_tokens", 64, null, 64)]
    [InlineData("gpt-4o", "max_tokens", 64, null, 64)]
    [InlineData("qwen2.5", "max_tokens", 64, null, 64)]
    [InlineData("gpt-4o", "max_tokens", 32000, 4096L, 4096)]
    [InlineData("gpt-5-mini", "max_completion_tokens", 32000, 4096L, 4096)]
    [InlineData("gpt-4o", "max_tokens", 1000, 4096L, 1000)]
    public void MaxTokensUsesTheFieldTheTargetModelAcceptsClampedToTheCeiling(string providerModel, string field, int requested, long? ceiling, int expected)
    {
        var body = Map($$"""{"max_tokens":{{requested}},"messages":[{"role":"user","content":"Hi"}]}""", providerModel, ceiling);

        Assert.Equal(expected, (int)body[field]!);
    }

    [Fact]
    public void ServerToolsAreAnErrorNamingTheTool()
    {
        var result = OpenAiChatRequestEncoder.Encode(
            Decode("""{"max_tokens":10,"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}"""),
            new UpstreamTarget("gpt-4o"));
        Assert.False(result.IsSuccess);
        Assert.Equal("tools[0].type", result.Error.Param);
        Assert.Contains("web_search_20250305", result.Error.Message);
    }

    [Fact]
    public void ServerToolsAreDroppedWithDropParamsAndAChoiceOfThemWithThem()
    {
        const string request = """
            {"max_tokens":10,"messages":[{"role":"user","content":"Hi"}],"tool_choice":{"type":"tool","name":"bash"},
             "tools":[{"name":"f","input_schema":{"type":"object"}},{"type":"bash_20250124","name":"bash"}]}
            """;

        var body = Map(request, dropParams: true);
        var tool = Assert.Single(body["tools"]!.AsArray())!;
        Assert.Equal("f", (string)tool["function"]!["name"]!);
        Assert.Null(body["tool_choice"]);
        var hosted = Decode(request).Tools[1];
        Assert.Equal(("bash_20250124", "bash"), (hosted.HostedType, (string)hosted.Raw!["name"]!));
        // With no tool left, no choice or parallel flag is sent either: OpenAI refuses them without tools.
        var bare = Map("""
            {"max_tokens":10,"messages":[{"role":"user","content":"Hi"}],"tools":[{"type":"bash_20250124"}],"tool_choice":{"type":"any","disable_parallel_tool_use":true}}
            """, dropParams: true);
        Assert.Equal([], bare.Where(p => p.Key is "tools" or "tool_choice" or "parallel_tool_calls").Select(p => p.Key));
    }

    [Fact]
    public void EmptyTextBlocksAreDropped()
    {
        var body = Map("""{"max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":""},{"type":"text","text":"Hi 👋"}]}]}""");

        Assert.Equal("Hi 👋", (string)body["messages"]![0]!["content"]!);
    }

    [Fact]
    public void SystemRoleEntriesInsideMessagesBecomeSystemMessagesInPlace()
    {
        var body = Map("""
            {"max_tokens":10,"system":"Top.","messages":[{"role":"system","content":"Also this."},{"role":"user","content":"Hi"},
              {"role":"assistant","content":"Hello"},{"role":"system","content":[{"type":"text","text":"Be terse now."}]},{"role":"user","content":"Go"}]}
            """);

        var messages = body["messages"]!.AsArray();
        Assert.Equal(["system", "user", "assistant", "system", "user"], messages.Select(m => (string)m!["role"]!));
        Assert.Equal("Top.\nAlso this.", (string)messages[0]!["content"]!);
        Assert.Equal("Be terse now.", (string)messages[3]!["content"]!);
    }

    [Fact]
    public void ThinkingBlocksAreDecodedWithTheirSignaturesAndNotSentToOpenAi()
    {
        const string request = """
            {"max_tokens":10,"thinking":{"type":"enabled","budget_tokens":2048,"display":"omitted"},"messages":[{"role":"user","content":"Hi"},
              {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig-1"},{"type":"redacted_thinking","data":"opaque"},
                {"type":"text","text":"Hello"}]}]}
            """;

        var canonical = Decode(request);
        var thinking = Assert.IsType<ReasoningPart>(canonical.Messages[1].Parts[0]);
        Assert.Equal(("hmm", "sig-1"), (thinking.Text, thinking.Signature));
        Assert.Equal("opaque", Assert.IsType<ReasoningPart>(canonical.Messages[1].Parts[1]).RedactedData);
        Assert.Equal((true, 2048L), (canonical.Reasoning!.Enabled, canonical.Reasoning.BudgetTokens));
        Assert.Equal("omitted", (string)canonical.Reasoning.AnthropicThinking!["display"]!);

        var body = Map(request);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"role":"assistant","content":"Hello"}"""), body["messages"]![1]));
        Assert.DoesNotContain("sig-1", body.ToJsonString());
    }

    [Fact]
    public void ToolResultErrorsAreDecodedAsErrorsAndSaidInTheToolMessage()
    {
        const string request = """
            {"max_tokens":10,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[{"type":"text","text":"no such tool"}]}]}]}
            """;

        var turn = Decode(request).Messages[1];
        var result = Assert.IsType<ToolResultPart>(Assert.Single(turn.Parts));
        Assert.Equal((Role.Tool, "t1", true), (turn.Role, result.CallId, result.IsError));
        var tool = Map(request)["messages"]![1]!;
        Assert.Equal(("tool", "t1", "Error: no such tool"), ((string)tool["role"]!, (string)tool["tool_call_id"]!, (string)tool["content"]!));
    }

    [Fact]
    public void CacheControlDeferLoadingAndUnmappedFieldsNeverReachTheOpenAiBody()
    {
        const string request = """
            {"max_tokens":10,"context_management":{"edits":[]},"service_tier":"auto",
             "system":[{"type":"text","text":"S","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":[{"type":"text","text":"Hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],
             "tools":[{"name":"f","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"},"defer_loading":true,
               "input_examples":[{"a":1}]}]}
            """;

        var canonical = Decode(request);
        Assert.Equal("1h", (string)canonical.Messages[1].Parts[0].CacheControl!["ttl"]!);
        Assert.All([canonical.Messages[0].Parts[0].CacheControl, canonical.Tools[0].CacheControl], Assert.NotNull);
        Assert.True((bool)canonical.Tools[0].Raw!["defer_loading"]!);
        Assert.Equal(["context_management", "service_tier"], canonical.Unmapped.Keys.Order());

        var json = Map(request).ToJsonString();
        Assert.All(["cache_control", "defer_loading", "input_examples", "context_management", "service_tier", "ephemeral"],
            field => Assert.DoesNotContain(field, json));
    }

    [Fact]
    public void OutputFormatJsonSchemaBecomesResponseFormat()
    {
        var body = Map("""
            {"max_tokens":10,"messages":[{"role":"user","content":"Hi"}],
             "output_config":{"effort":"low","format":{"type":"json_schema","schema":{"type":"object"}}}}
            """);

        var expected = JsonNode.Parse("""{"type":"json_schema","json_schema":{"name":"response","schema":{"type":"object"}}}""");
        Assert.True(JsonNode.DeepEquals(expected, body["response_format"]), body["response_format"]?.ToJsonString());
        Assert.Null(body["output_config"]);
    }

    [Theory]
    [InlineData("""{"max_tokens":10,"messages":[]}""", "messages")]
    [InlineData("""{"max_tokens":10,"messages":[{"role":"tool","content":"x"}]}""", "messages[0].role")]
    [InlineData("""{"max_tokens":10,"messages":[{"role":"user","content":7}]}""", "messages[0].content")]
    [InlineData("""{"max_tokens":10,"system":[{"type":"image"}],"messages":[{"role":"user","content":"Hi"}]}""", "system[0].type")]
    [InlineData("""{"max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file"}}]}]}""", "messages[0].content[0].source")]
    [InlineData("""{"max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result"}]}]}""", "messages[0].content[0].tool_use_id")]
    [InlineData("""{"max_tokens":10,"messages":[{"role":"assistant","content":[{"type":"server_tool_use"}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"max_tokens":10,"messages":[{"role":"user","content":"Hi"}],"tools":[{"input_schema":{}}]}""", "tools[0].name")]
    [InlineData("""{"max_tokens":10,"messages":[{"role":"user","content":"Hi"}],"tool_choice":{"type":"tool"}}""", "tool_choice")]
    public void StructuralErrorsNameThePath(string request, string param)
    {
        var decoded = MessagesRequestDecoder.Decode(JsonNode.Parse(request)!.AsObject());

        Assert.False(decoded.IsSuccess);
        Assert.Equal(param, decoded.Error.Param);
    }

    [Theory]
    [InlineData("""{"type":"enabled","budget_tokens":1024}""", "low")]
    [InlineData("""{"type":"enabled","budget_tokens":4095}""", "low")]
    [InlineData("""{"type":"enabled","budget_tokens":4096}""", "medium")]
    [InlineData("""{"type":"enabled","budget_tokens":16383}""", "medium")]
    [InlineData("""{"type":"enabled","budget_tokens":31999,"display":"omitted"}""", "high")]
    [InlineData("""{"type":"adaptive"}""", "medium")]
    [InlineData("""{"type":"disabled"}""", null)]
    public void ThinkingBecomesReasoningEffortByBudgetForAReasoningModel(string thinking, string? effort)
    {
        var body = Map("""{"max_tokens":32000,"messages":[{"role":"user","content":"Hi"}],"thinking":""" + thinking + "}", providerModel: "gpt-5-mini");

        Assert.Equal(effort, (string?)body["reasoning_effort"]);
        Assert.Null(body["thinking"]);
    }

    [Theory]
    [InlineData("gpt-4o", false)]
    [InlineData("hosted/llama-3", false)]
    [InlineData("o3-mini", true)]
    [InlineData("openai/o4-mini", true)]
    [InlineData("gpt-5", true)]
    public void ReasoningEffortIsSentOnlyToModelsThatLookLikeReasoningModels(string providerModel, bool sent)
    {
        var request = """{"max_tokens":100,"messages":[{"role":"user","content":"Hi"}],"thinking":{"type":"enabled","budget_tokens":8000}}""";

        Assert.Equal(sent, Map(request, providerModel).ContainsKey("reasoning_effort"));
        Assert.Equal(sent, Map(request, providerModel, dropParams: true).ContainsKey("reasoning_effort"));
    }
}
