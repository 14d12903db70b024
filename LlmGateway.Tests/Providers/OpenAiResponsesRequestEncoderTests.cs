using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers.OpenAiResponses;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Providers;

/// <summary>A canonical request → a <c>POST /v1/responses</c> body.</summary>
public class OpenAiResponsesRequestEncoderTests
{
    private static readonly UpstreamTarget Target = new("gpt-5");

    private static JsonObject Encode(CanonicalRequest request, UpstreamTarget? target = null)
    {
        var result = OpenAiResponsesRequestEncoder.Encode(request, target ?? Target);
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value;
    }

    private static string Json(JsonNode? node) => node!.ToJsonString();

    [Fact]
    public void TurnsBecomeInstructionsAndInputItemsWithToolCallsTheirOutputsAndOpenAiReasoning()
    {
        var request = new CanonicalRequest
        {
            Model = "smart",
            Messages =
            [
                new(Role.System, [new TextPart("Be brief.")]),
                new(Role.User, [new TextPart("Weather?"), new ImagePart(MediaSource.At("https://x/img.png"))]),
                new(Role.Assistant,
                [
                    new ReasoningPart("Think.") { Id = "rs_1", EncryptedContent = "enc" },
                    new ReasoningPart("Anthropic thinking") { Signature = "sig" },
                    new TextPart("Let me check."),
                    new ToolCallPart("call_1", "get_weather", "{\"city\":\"Oslo\"}"),
                    new ToolCallPart("call_2", "apply_patch", "patch") { Freeform = true },
                ]),
                new(Role.Tool, [new ToolResultPart("call_1", [new TextPart("sunny")]), new ToolResultPart("call_2", [new TextPart("done")]) { IsError = true }]),
                new(Role.Developer, [new TextPart("Answer in French.")]),
            ],
        };

        var body = Encode(request);

        Assert.Equal("gpt-5", (string?)body["model"]);
        Assert.Equal("Be brief.", (string?)body["instructions"]);
        Assert.Equal(
            """[{"type":"message","role":"user","content":[{"type":"input_text","text":"Weather?"},{"type":"input_image","image_url":"https://x/img.png","detail":"auto"}]},"""
            + """{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Think."}],"encrypted_content":"enc"},"""
            + """{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me check.","annotations":[]}]},"""
            + """{"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\u0022city\u0022:\u0022Oslo\u0022}"},"""
            + """{"type":"custom_tool_call","call_id":"call_2","name":"apply_patch","input":"patch"},"""
            + """{"type":"function_call_output","call_id":"call_1","output":"sunny"},"""
            + """{"type":"custom_tool_call_output","call_id":"call_2","output":"Error: done"},"""
            + """{"type":"message","role":"developer","content":[{"type":"input_text","text":"Answer in French."}]}]""",
            Json(body["input"]));
        Assert.False((bool)body["store"]!);
    }

    [Fact]
    public void FunctionCustomAndOpenAiHostedToolsAndANamedChoiceAreWrittenFlat()
    {
        var request = new CanonicalRequest
        {
            Model = "smart",
            Tools =
            [
                new ToolDefinition("get_weather", "Weather", JsonNode.Parse("""{"type":"object"}""")) { Strict = true },
                new ToolDefinition("apply_patch", "Patch", null) { Freeform = true, Format = JsonNode.Parse("""{"type":"text"}""") },
                new ToolDefinition("web_search", null, null) { HostedType = "web_search", Raw = new JsonObject { ["type"] = "web_search" } },
            ],
            ToolChoice = new ToolChoice(ToolChoiceKind.Named, "apply_patch"),
            ParallelToolCalls = false,
        };

        var body = Encode(request);

        Assert.Equal(
            """[{"type":"function","name":"get_weather","description":"Weather","parameters":{"type":"object"},"strict":true},"""
            + """{"type":"custom","name":"apply_patch","description":"Patch","format":{"type":"text"}},{"type":"web_search"}]""",
            Json(body["tools"]));
        Assert.Equal("""{"type":"custom","name":"apply_patch"}""", Json(body["tool_choice"]));
        Assert.False((bool)body["parallel_tool_calls"]!);
    }

    [Fact]
    public void AnotherProvidersHostedToolIsRefusedByNameUnlessDropParams()
    {
        var request = new CanonicalRequest
        {
            Model = "smart",
            Tools = [new ToolDefinition("web_search", null, null) { HostedType = "web_search_20250305", Raw = new JsonObject { ["type"] = "web_search_20250305" } }],
            ToolChoice = new ToolChoice(ToolChoiceKind.Named, "web_search"),
        };

        var refused = OpenAiResponsesRequestEncoder.Encode(request, Target);
        var dropped = OpenAiResponsesRequestEncoder.Encode(request, Target with { DropParams = true });

        Assert.Equal("tools[0].type", refused.Error?.Param);
        Assert.Contains("web_search_20250305", refused.Error!.Message);
        Assert.False(dropped.Value!.ContainsKey("tools"));
        Assert.False(dropped.Value.ContainsKey("tool_choice"));
    }

    [Fact]
    public void OutputLimitJsonSchemaReasoningSamplingStreamAndUserAreMapped()
    {
        var request = new CanonicalRequest
        {
            Model = "smart",
            MaxOutputTokens = 9000,
            Temperature = 0.5,
            TopP = 0.9,
            Stream = true,
            User = "u-1",
            ResponseFormat = new ResponseFormat(ResponseFormatKind.JsonSchema, "city", JsonNode.Parse("""{"type":"object"}"""), true),
            Reasoning = new ReasoningRequest(true, BudgetTokens: 8000),
        };

        var body = Encode(request, Target with { MaxTokensCeiling = 4096 });

        Assert.Equal(4096, (long)body["max_output_tokens"]!);
        Assert.Equal("""{"format":{"type":"json_schema","name":"city","schema":{"type":"object"},"strict":true}}""", Json(body["text"]));
        Assert.Equal("""{"effort":"medium","summary":"auto"}""", Json(body["reasoning"]));
        Assert.Equal("""["reasoning.encrypted_content"]""", Json(body["include"]));
        Assert.Equal((0.5, 0.9, true, "u-1"), ((double)body["temperature"]!, (double)body["top_p"]!, (bool)body["stream"]!, (string?)body["user"]));
    }

    [Fact]
    public void ATinyOutputLimitIsRaisedToTheApisMinimumAndANonReasoningModelGetsNoReasoning()
    {
        var request = new CanonicalRequest { Model = "smart", MaxOutputTokens = 5, Reasoning = new ReasoningRequest(true, "high") };

        var body = Encode(request, new UpstreamTarget("gpt-4o"));

        Assert.Equal(16, (long)body["max_output_tokens"]!);
        Assert.False(body.ContainsKey("reasoning"));
    }

    [Fact]
    public void TheClientsStoreIsKeptAndStopSequencesAreRefusedUnlessDropParams()
    {
        var stored = Encode(new CanonicalRequest { Model = "smart", Unmapped = { ["store"] = true } });
        var stop = new CanonicalRequest { Model = "smart", StopSequences = ["END"] };

        Assert.True((bool)stored["store"]!);
        Assert.Equal("stop", OpenAiResponsesRequestEncoder.Encode(stop, Target).Error?.Param);
        Assert.False(OpenAiResponsesRequestEncoder.Encode(stop, Target with { DropParams = true }).Value!.ContainsKey("stop"));
    }
}
