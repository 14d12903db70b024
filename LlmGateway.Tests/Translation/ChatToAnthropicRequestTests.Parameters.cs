using System.Text.Json.Nodes;

namespace LlmGateway.Tests.Translation;

/// <summary>Output limit, sampling, tools and unsupported parameters.</summary>
public partial class ChatToAnthropicRequestTests
{
    [Theory]
    [InlineData("\"auto\"", """{"type":"auto"}""")]
    [InlineData("\"none\"", """{"type":"none"}""")]
    [InlineData("\"required\"", """{"type":"any"}""")]
    [InlineData("""{"type":"function","function":{"name":"get_weather"}}""", """{"type":"tool","name":"get_weather"}""")]
    public void ToolChoiceMapsToAnthropicToolChoice(string toolChoice, string expected)
    {
        var body = Map("""
            {"messages":[{"role":"user","content":"Hi"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":true}}],
             "tool_choice":
            """ + toolChoice + "}");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), body["tool_choice"]));
        var tool = Assert.Single(body["tools"]!.AsArray())!;
        Assert.Equal("get_weather", (string)tool["name"]!);
        Assert.Equal("Weather", (string)tool["description"]!);
        Assert.Equal("string", (string)tool["input_schema"]!["properties"]!["city"]!["type"]!);
        Assert.Null(tool["strict"]);
    }

    [Fact]
    public void ParallelToolCallsFalseDisablesParallelToolUse()
    {
        var body = Map("""
            {"messages":[{"role":"user","content":"Hi"}],"parallel_tool_calls":false,
             "tools":[{"type":"function","function":{"name":"f"}}]}
            """);

        Assert.Equal("auto", (string)body["tool_choice"]!["type"]!);
        Assert.True((bool)body["tool_choice"]!["disable_parallel_tool_use"]!);
        Assert.Equal("object", (string)body["tools"]![0]!["input_schema"]!["type"]!);
    }

    [Theory]
    [InlineData("\"max_completion_tokens\":512,\"max_tokens\":100,", 2000, 512)]
    [InlineData("\"max_tokens\":100,", 2000, 100)]
    [InlineData("", 2000, 2000)]
    [InlineData("", null, 4096)]
    public void MaxTokensComesFromTheRequestThenTheDeploymentThenTheDefault(string fields, int? deploymentMaxTokens, int expected)
    {
        var body = Map("{" + fields + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", deploymentMaxTokens);

        Assert.Equal(expected, (int)body["max_tokens"]!);
    }

    [Fact]
    public void SamplingStopStreamAndUserMapToTheirAnthropicFields()
    {
        var body = Map("""
            {"messages":[{"role":"user","content":"Hi"}],"temperature":0.7,"top_p":0.9,
             "stop":"END","stream":true,"stream_options":{"include_usage":true},"user":"user-1234","n":1}
            """);

        Assert.Equal(0.7, (double)body["temperature"]!);
        Assert.Equal(0.9, (double)body["top_p"]!);
        Assert.Equal(["END"], body["stop_sequences"]!.AsArray().Select(s => (string)s!));
        Assert.True((bool)body["stream"]!);
        Assert.Equal("user-1234", (string)body["metadata"]!["user_id"]!);
        Assert.Null(body["stream_options"]);
        Assert.Null(body["n"]);
    }

    [Fact]
    public void StopArrayBecomesStopSequences()
    {
        var body = Map("""{"messages":[{"role":"user","content":"Hi"}],"stop":["a","b"]}""");

        Assert.Equal(["a", "b"], body["stop_sequences"]!.AsArray().Select(s => (string)s!));
    }

    [Theory]
    [InlineData("frequency_penalty", "0.5")]
    [InlineData("presence_penalty", "-1")]
    [InlineData("logit_bias", """{"50256":-100}""")]
    [InlineData("logprobs", "true")]
    [InlineData("top_logprobs", "3")]
    [InlineData("seed", "42")]
    [InlineData("n", "2")]
    [InlineData("response_format", """{"type":"json_object"}""")]
    [InlineData("temperature", "1.5")]
    [InlineData("reasoning_effort", "\"high\"")]
    [InlineData("store", "true")]
    [InlineData("tool_choice", """{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}}""")]
    public void UnsupportedParametersAreAnErrorNamingThemUnlessDropParams(string param, string value)
    {
        var request = $$"""{"messages":[{"role":"user","content":"Hi"}],"{{param}}":{{value}}}""";

        var error = MapError(request, dropParams: false);
        Assert.Equal(param, error.Param);
        Assert.Contains(param, error.Message);
        Assert.Contains("drop_params", error.Message);

        var body = Map(request, dropParams: true);
        if (param == "temperature")
        {
            Assert.Equal(1.0, (double)body["temperature"]!);
        }
        else
        {
            Assert.Null(body[param]);
        }
    }

    [Fact]
    public void FrequencyPenaltyErrorSaysWhatToDo()
    {
        var error = MapError("""{"messages":[{"role":"user","content":"Hi"}],"frequency_penalty":1}""");

        Assert.Equal("frequency_penalty is not supported by Anthropic models; remove it or enable drop_params", error.Message);
    }

    [Fact]
    public void DefaultValuedUnsupportedParametersAreHarmless()
    {
        var body = Map("""{"messages":[{"role":"user","content":"Hi"}],"n":1,"presence_penalty":0,"logprobs":false,"seed":null}""");

        Assert.Null(body["presence_penalty"]);
    }

    [Fact]
    public void JsonSchemaResponseFormatBecomesNativeStructuredOutput()
    {
        var body = Map("""
            {"messages":[{"role":"user","content":"Hi"}],
             "response_format":{"type":"json_schema","json_schema":{"name":"answer","strict":true,
               "schema":{"type":"object","properties":{"summary":{"type":"string"}},"required":["summary"],"additionalProperties":false}}}}
            """);

        var format = body["output_config"]!["format"]!;
        Assert.Equal("json_schema", (string)format["type"]!);
        Assert.Equal("string", (string)format["schema"]!["properties"]!["summary"]!["type"]!);
    }

    [Theory]
    [InlineData("\"max_tokens\":10000,", 2000, 2000)]
    [InlineData("\"max_completion_tokens\":3000,", 2000, 2000)]
    [InlineData("\"max_tokens\":10000,", null, 10000)]
    public void TheOutputLimitIsClampedToTheDeploymentCeiling(string fields, int? deploymentMaxTokens, int expected)
    {
        var body = Map("{" + fields + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", deploymentMaxTokens);

        Assert.Equal(expected, (int)body["max_tokens"]!);
    }

    [Theory]
    [InlineData("""{"type":"web_search"}""", "only function tools are supported by Anthropic models")]
    [InlineData("""{"type":"custom","custom":{"name":"patch","description":"Apply a patch"}}""", "custom (freeform) tools")]
    public void NonFunctionToolsAreRefusedUnlessDropParamsDropsThem(string tool, string message)
    {
        var request = $$$"""{"messages":[{"role":"user","content":"Hi"}],"tools":[{{{tool}}},{"type":"function","function":{"name":"f"}}],"tool_choice":"required"}""";

        var error = MapError(request);
        Assert.Equal("tools[0].type", error.Param);
        Assert.Contains(message, error.Message);

        var body = Map(request, dropParams: true);
        Assert.Equal(["f"], body["tools"]!.AsArray().Select(t => (string)t!["name"]!));
        Assert.Equal("any", (string)body["tool_choice"]!["type"]!);
    }

    [Fact]
    public void AnthropicThinkingSentOnChatCompletionsIsForwarded()
    {
        var body = Map("""{"messages":[{"role":"user","content":"Hi"}],"max_tokens":8000,"thinking":{"type":"enabled","budget_tokens":2048}}""");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"type":"enabled","budget_tokens":2048}"""), body["thinking"]));
    }

    [Theory]
    [InlineData("""[1]""", "messages[0]")]
    [InlineData("""[{"role":"function","name":"f","content":"x"}]""", "messages[0].role")]
    [InlineData("""[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]""", "messages[0].content[0].type")]
    [InlineData("""[{"role":"system","content":[{"type":"image_url","image_url":"https://x/y.png"}]},{"role":"user","content":"Hi"}]""", "messages[0].content[0]")]
    [InlineData("""[{"role":"user","content":"go"},{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}]""", "messages[1].tool_calls[0].id")]
    [InlineData("""[{"role":"user","content":"go"},{"role":"tool","content":"18C"}]""", "messages[1].tool_call_id")]
    [InlineData("""[{"role":"system","content":"Only rules."}]""", "messages")]
    public void StructurallyWrongMessagesNameTheirPath(string messages, string param)
    {
        var error = MapError($$"""{"messages":{{messages}}}""", dropParams: true);

        Assert.Equal(param, error.Param);
    }
}
