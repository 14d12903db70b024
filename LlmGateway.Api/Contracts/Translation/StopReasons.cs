namespace LlmGateway.Api.Contracts;

/// <summary>Anthropic <c>stop_reason</c> ⇄ OpenAI <c>finish_reason</c> (wire-formats §10.3).</summary>
internal static class StopReasons
{
    public static string ToOpenAiFinishReason(string? anthropicStopReason) => anthropicStopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop", // end_turn, stop_sequence, pause_turn and anything new
    };

    public static string ToAnthropicStopReason(string? openAiFinishReason) => openAiFinishReason switch
    {
        "length" => "max_tokens",
        "tool_calls" or "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ => "end_turn",
    };
}
