using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.ClientApis.Messages;
using LlmGateway.Api.ClientApis.Responses;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Translation;

/// <summary>
/// <see cref="ToolPairing"/> over what each client format decodes to: conversations every provider takes pass, and the
/// first unpaired call or result is named by the client's own path, with <c>invalid_value</c>.
/// </summary>
public class ToolPairingTests
{
    private const string Call = """{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"{}"}}]}""";
    private const string TwoCalls = """{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]}""";
    private const string User = """{"role":"user","content":"go"}""";

    private static string Result(string id) => $$"""{"role":"tool","tool_call_id":"{{id}}","content":"ok"}""";

    private static TranslationError? Chat(params string[] messages) =>
        Checked(ChatCompletionsRequestDecoder.Decode(JsonNode.Parse($$"""{"model":"m","messages":[{{string.Join(",", messages)}}]}""")!.AsObject()));

    private static TranslationError? Messages(string messages) =>
        Checked(MessagesRequestDecoder.Decode(JsonNode.Parse($$"""{"model":"m","max_tokens":10,"messages":{{messages}}}""")!.AsObject()));

    private static TranslationError? Responses(string input) =>
        Checked(ResponsesRequestDecoder.Decode(JsonNode.Parse($$"""{"model":"m","input":{{input}}}""")!.AsObject()));

    private static TranslationError? Checked(TranslationResult<CanonicalRequest> decoded)
    {
        Assert.True(decoded.IsSuccess, decoded.Error?.ToString());
        var checkedResult = ToolPairing.Checked(decoded);
        Assert.Equal(checkedResult.IsSuccess, ToolPairing.Check(decoded.Value.Messages) is null);
        return checkedResult.Error;
    }

    private static void AssertNames(TranslationError? error, string param, string callId)
    {
        Assert.NotNull(error);
        Assert.Equal(param, error.Param);
        Assert.Equal("invalid_value", error.Code);
        Assert.Contains($"'{callId}'", error.Message);
    }

    [Fact]
    public void ChatConversationsEveryProviderTakesPass()
    {
        Assert.Null(Chat(User));
        Assert.Null(Chat(User, Call, Result("call_a")));
        Assert.Null(Chat(User, Call, Result("call_a"), User, Call, Result("call_a"), """{"role":"assistant","content":"done"}"""));
        Assert.Null(Chat(User, TwoCalls, Result("call_b"), Result("call_a"), User));
    }

    [Fact]
    public void AChatToolMessageAnsweringNoCallIsNamedByItsToolCallId()
    {
        AssertNames(Chat(User, Result("call_nope")), "messages[1].tool_call_id", "call_nope");
        // A result answering a call of an earlier assistant turn, after another turn came between: no provider takes it.
        AssertNames(Chat(User, Call, Result("call_a"), User, Result("call_a")), "messages[4].tool_call_id", "call_a");
        AssertNames(Chat(User, Call, Result("call_x")), "messages[2].tool_call_id", "call_x");
    }

    [Fact]
    public void AChatToolCallLeftUnansweredIsNamedByItsPlaceInToolCalls()
    {
        AssertNames(Chat(User, Call, User), "messages[1].tool_calls[0]", "call_a");
        AssertNames(Chat(User, TwoCalls, Result("call_a"), User), "messages[1].tool_calls[1]", "call_b");
        // At the end of the conversation too: both providers refuse an assistant turn's calls with no results after them.
        AssertNames(Chat(User, TwoCalls, Result("call_b")), "messages[1].tool_calls[0]", "call_a");
        AssertNames(Chat(User, Call), "messages[1].tool_calls[0]", "call_a");
    }

    [Fact]
    public void MessagesToolUseAnsweredInTheNextUserTurnPassesEvenWithTextAfterTheResults()
    {
        Assert.Null(Messages("""
            [{"role":"user","content":"go"},
             {"role":"assistant","content":[{"type":"text","text":"let me look"},{"type":"tool_use","id":"toolu_1","name":"f","input":{}},{"type":"tool_use","id":"toolu_2","name":"f","input":{}}]},
             {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_2","content":"a"},{"type":"tool_result","tool_use_id":"toolu_1","content":"b"},{"type":"text","text":"and then?"}]}]
            """));
    }

    [Fact]
    public void MessagesUnpairedBlocksAreNamedByTheirContentIndex()
    {
        AssertNames(Messages("""[{"role":"user","content":[{"type":"text","text":"go"},{"type":"tool_result","tool_use_id":"toolu_nope","content":"a"}]}]"""),
            "messages[0].content[1].tool_use_id", "toolu_nope");
        AssertNames(Messages("""
            [{"role":"user","content":"go"},
             {"role":"assistant","content":[{"type":"text","text":"let me look"},{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},
             {"role":"user","content":"never mind"}]
            """), "messages[1].content[1]", "toolu_1");
    }

    [Fact]
    public void ResponsesCallsAndOutputsPairAcrossReasoningAndParallelCalls()
    {
        Assert.Null(Responses("""
            [{"role":"user","content":"go"},
             {"type":"reasoning","summary":[]},
             {"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},
             {"type":"function_call","call_id":"c2","name":"f","arguments":"{}"},
             {"type":"function_call_output","call_id":"c2","output":"a"},
             {"type":"function_call_output","call_id":"c1","output":"b"},
             {"type":"custom_tool_call","call_id":"c3","name":"patch","input":"x"},
             {"type":"custom_tool_call_output","call_id":"c3","output":"done"},
             {"role":"assistant","content":[{"type":"output_text","text":"done"}]}]
            """));
    }

    [Fact]
    public void ResponsesUnpairedItemsAreNamedByTheirInputIndex()
    {
        AssertNames(Responses("""
            [{"role":"user","content":"go"},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"role":"user","content":"go on"}]
            """), "input[1]", "c1");
        // An output after another turn came between it and its call: OpenAI takes it; Anthropic and chat models do not.
        AssertNames(Responses("""
            [{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"role":"user","content":"go on"},{"type":"function_call_output","call_id":"c1","output":"a"}]
            """), "input[0]", "c1");
    }
}
