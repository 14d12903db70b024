using System.Text;
using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis;
using LlmGateway.Api.ClientApis.Responses;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Translation;

/// <summary>Responses API requests read into the canonical model.</summary>
public sealed class ResponsesRequestDecoderTests
{
    private static CanonicalRequest Decode(string json)
    {
        var result = ResponsesRequestDecoder.Decode(JsonNode.Parse(json)!.AsObject());
        Assert.True(result.IsSuccess, result.Error?.Message);
        return result.Value!;
    }

    [Fact]
    public void InstructionsAndAStringInputBecomeASystemTurnAndAUserTurn()
    {
        var request = Decode("""{"model":"m","instructions":"Be brief.","input":"Hi","max_output_tokens":64,"user":"u1"}""");

        Assert.Equal([Role.System, Role.User], request.Messages.Select(m => m.Role));
        Assert.Equal("Be brief.", ((TextPart)request.Messages[0].Parts[0]).Text);
        Assert.Equal((64L, "max_output_tokens", "u1"), (request.MaxOutputTokens!.Value, request.MaxOutputTokensField, request.User));
    }

    [Fact]
    public void AssistantItemsJoinOneTurnAndEachToolOutputIsItsOwnToolTurn()
    {
        var request = Decode("""
            {"model":"m","input":[
              {"role":"user","content":[{"type":"input_text","text":"Go"},{"type":"input_image","image_url":"data:image/png;base64,AAAA","detail":"low"}]},
              {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Plan"}],"encrypted_content":"sig-9"},
              {"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},
              {"type":"custom_tool_call","call_id":"c2","name":"apply_patch","input":"*** Begin Patch"},
              {"type":"function_call_output","call_id":"c1","output":"ok"},
              {"type":"custom_tool_call_output","call_id":"c2","output":[{"type":"input_text","text":"done"}]}]}
            """);

        Assert.Equal([Role.User, Role.Assistant, Role.Tool, Role.Tool], request.Messages.Select(m => m.Role));
        var image = Assert.IsType<ImagePart>(request.Messages[0].Parts[1]);
        Assert.Equal(("image/png", "AAAA", "low"), (image.Source.MediaType, image.Source.Base64Data, image.Detail));
        var assistant = request.Messages[1].Parts;
        var reasoning = Assert.IsType<ReasoningPart>(assistant[0]);
        Assert.Equal(("Plan", "sig-9", "sig-9"), (reasoning.Text, reasoning.Signature, reasoning.EncryptedContent));
        Assert.True(Assert.IsType<ToolCallPart>(assistant[2]).Freeform);
        Assert.Equal("c2", Assert.IsType<ToolResultPart>(request.Messages[3].Parts[0]).CallId);
    }

    [Fact]
    public void ToolsChoiceFormatAndEffortMapAndTheRestIsUnmappedUnlessItIsOpenAiBookkeeping()
    {
        var request = Decode("""
            {"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":{"type":"object"},"strict":true},
              {"type":"custom","name":"apply_patch"},{"type":"web_search"}],
             "tool_choice":{"type":"function","name":"f"},"parallel_tool_calls":false,
             "text":{"format":{"type":"json_schema","name":"out","schema":{"type":"object"},"strict":true}},
             "reasoning":{"effort":"medium","summary":"auto"},"store":false,"include":["reasoning.encrypted_content"],
             "prompt_cache_key":"k","top_logprobs":2}
            """);

        Assert.Equal([false, true, false], request.Tools.Select(t => t.Freeform));
        Assert.Equal("web_search", request.Tools[2].HostedType);
        Assert.Equal((ToolChoiceKind.Named, "f", false), (request.ToolChoice!.Kind, request.ToolChoice.Name, request.ParallelToolCalls!.Value));
        Assert.Equal((ResponseFormatKind.JsonSchema, "out"), (request.ResponseFormat!.Kind, request.ResponseFormat.Name));
        Assert.Equal(("medium", 2048L), (request.Reasoning!.Effort, request.Reasoning.BudgetTokens!.Value));
        Assert.Equal(["top_logprobs"], request.Unmapped.Keys);
    }

    [Fact]
    public void ANamespaceEntrysToolsAreFlattenedIntoTheToolList()
    {
        var request = Decode("""
            {"model":"m","input":"x","tools":[{"type":"namespace","name":"mcp","tools":[{"type":"function","name":"read_file","parameters":{"type":"object"}}]}]}
            """);

        Assert.Equal(("read_file", null), (Assert.Single(request.Tools).Name, request.Tools[0].HostedType));
    }

    [Fact]
    public void RedactedThinkingCarriedInEncryptedContentComesBackAsRedactedData()
    {
        var request = Decode("""{"model":"m","input":[{"type":"reasoning","summary":[],"encrypted_content":"redacted_thinking:opaque"}]}""");

        Assert.Equal("opaque", Assert.IsType<ReasoningPart>(request.Messages[0].Parts[0]).RedactedData);
    }

    [Fact]
    public void AnItemOnlyOpenAiCanServeIsRefusedNamingItsPath()
    {
        var result = ResponsesRequestDecoder.Decode(JsonNode.Parse("""{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}""")!.AsObject());

        Assert.Equal("input[0].type", result.Error!.Param);
    }

    [Theory]
    [InlineData(true, "tools[web_search], top_logprobs")]
    [InlineData(false, null)]
    public void UnderDropParamsAHostedToolAndAnUnknownFieldAreLeftOutAndNamed(bool dropParams, string? dropped)
    {
        Assert.True(JsonBody.TryParse(Encoding.UTF8.GetBytes("""
            {"model":"m","input":"Search","tools":[{"type":"web_search"}],"top_logprobs":2}
            """), out var body, out _));
        var builder = new UpstreamRequestBuilder(ClientAdapters.Responses, body, d => new BodyRewriter.Options(d.ProviderModel), dropParams);
        var deployment = new DeploymentConfig { ModelName = "m", Id = "a", Index = 0, Provider = ProviderKind.Anthropic, ProviderModel = "claude" };

        var (bytes, error) = builder.Build(deployment, ProviderRegistry.AdapterFor(WireFormat.Anthropic));

        Assert.Equal(dropParams, bytes is not null);
        Assert.Equal(dropParams ? null : "top_logprobs", error?.Param);
        Assert.Equal(dropped, builder.Dropped);
    }
}
