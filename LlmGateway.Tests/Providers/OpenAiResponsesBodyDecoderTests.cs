using System.Text;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers.OpenAiResponses;
using LlmGateway.Api.Translation;

namespace LlmGateway.Tests.Providers;

/// <summary>A whole Responses API <c>response</c> object → a canonical answer.</summary>
public class OpenAiResponsesBodyDecoderTests
{
    internal const string Body = """
        {"id":"resp_up2","object":"response","created_at":1727346178,"status":"completed","model":"gpt-5","output":[
          {"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"First."},{"type":"summary_text","text":"Second."}],"encrypted_content":"gAAAA-enc"},
          {"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Checking.","annotations":[]}]},
          {"id":"fc_1","type":"function_call","status":"completed","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Oslo\"}"},
          {"id":"ws_1","type":"web_search_call","status":"completed"},
          {"id":"ctc_1","type":"custom_tool_call","status":"completed","call_id":"call_2","name":"apply_patch","input":"patch text"}
        ],"usage":{"input_tokens":50,"input_tokens_details":{"cached_tokens":10},"output_tokens":30,"output_tokens_details":{"reasoning_tokens":12},"total_tokens":80}}
        """;

    [Fact]
    public void OutputItemsBecomeReasoningTextAndToolCallsInOrderWithTheUsage()
    {
        var response = OpenAiResponsesBodyDecoder.Decode(Encoding.UTF8.GetBytes(Body))!;

        Assert.Equal(("resp_up2", "gpt-5"), (response.Id, response.Model));
        Assert.Equal(
            [
                new ReasoningPart("First.\n\nSecond.") { Id = "rs_1", EncryptedContent = "gAAAA-enc" },
                new TextPart("Checking."),
                new ToolCallPart("call_1", "get_weather", "{\"city\":\"Oslo\"}"),
                new ToolCallPart("call_2", "apply_patch", "patch text") { Freeform = true },
            ],
            response.Content);
        Assert.Equal(FinishReason.ToolCalls, response.Finish);
        Assert.Equal(new TokenUsage(50, 30, CachedTokens: 10, ReasoningTokens: 12, WebSearchRequests: 1), response.Usage);
    }

    [Fact]
    public void AnIncompleteResponseFinishesAtTheOutputLimitAndARefusalIsRefusalText()
    {
        const string incomplete = """{"id":"r","object":"response","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[{"type":"message","role":"assistant","content":[{"type":"refusal","refusal":"No."}]}]}""";

        var response = OpenAiResponsesBodyDecoder.Decode(Encoding.UTF8.GetBytes(incomplete))!;

        Assert.Equal(FinishReason.Length, response.Finish);
        Assert.Equal([new TextPart("No.") { IsRefusal = true }], response.Content);
        Assert.Null(response.Usage);
    }

    [Theory]
    [InlineData("{\"error\":{\"message\":\"x\"}}")]
    [InlineData("not json")]
    [InlineData("[]")]
    public void ABodyThatIsNotAResponseHoldsNoAnswer(string body) =>
        Assert.Null(OpenAiResponsesBodyDecoder.Decode(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void AWholeBodyDecodesToTheFoldOfTheSameAnswerStreamed()
    {
        const string body = """{"id":"resp_up1","model":"gpt-5","status":"completed","output":[{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"output_text","text":"Hello"}]}],"usage":{"input_tokens":120,"input_tokens_details":{"cached_tokens":100},"output_tokens":40,"output_tokens_details":{"reasoning_tokens":25}}}""";

        var whole = OpenAiResponsesBodyDecoder.Decode(Encoding.UTF8.GetBytes(body))!;
        var folded = ResponseFolder.Fold(OpenAiResponsesStreamDecoderTests.Decode(OpenAiResponsesStreamDecoderTests.TextStream));

        Assert.Equal(whole.Content, folded.Content);
        Assert.Equal((whole.Id, whole.Finish, whole.Usage), (folded.Id, folded.Finish, folded.Usage));
    }
}
