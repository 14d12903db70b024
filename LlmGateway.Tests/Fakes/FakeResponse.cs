namespace LlmGateway.Tests.Fakes;

/// <summary>
/// One scripted answer of <see cref="FakeProviderServer"/>; every property left unset keeps the
/// deterministic default, so tests change only what they assert on (<c>Default with { Status = 500 }</c>).
/// </summary>
public sealed record FakeResponse
{
    /// <summary>HTTP status; anything but 200 answers with the provider's error envelope.</summary>
    public int Status { get; init; } = 200;

    /// <summary>Error message for a non-200 status or an in-band error; a default is derived from the status.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Provider error type (OpenAI <c>type</c>, Anthropic <c>error.type</c>); derived from the status when null.</summary>
    public string? ErrorType { get; init; }

    /// <summary>OpenAI error <c>code</c>; derived from the status when null (e.g. <c>rate_limit_exceeded</c>).</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Sent as <c>Retry-After</c> in whole seconds (rounded up) on any response.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Answer text; null means "Hello from fake-openai model {model}" (or fake-anthropic).</summary>
    public string? Text { get; init; }

    /// <summary>Chat and Messages: answer "re: " and the last user turn's text instead of <see cref="Text"/> (tells apart the calls of one request).</summary>
    public bool EchoPrompt { get; init; }

    /// <summary>Anthropic only: a <c>thinking</c> block before the text, signed with <see cref="ThinkingSignature"/>.</summary>
    public string? Thinking { get; init; }

    public string ThinkingSignature { get; init; } = "fake-signature";

    /// <summary>Tool calls answered after the text (OpenAI <c>tool_calls</c>, Anthropic <c>tool_use</c> blocks).</summary>
    public IReadOnlyList<(string Id, string Name, string ArgumentsJson)> ToolCalls { get; init; } = [];

    /// <summary>Overrides OpenAI <c>prompt_tokens</c> / Anthropic <c>input_tokens</c> (embeddings too).</summary>
    public int? PromptTokens { get; init; }

    /// <summary>Overrides OpenAI <c>completion_tokens</c> / Anthropic <c>output_tokens</c>.</summary>
    public int? CompletionTokens { get; init; }

    /// <summary>OpenAI <c>prompt_tokens_details.cached_tokens</c> / Anthropic <c>cache_read_input_tokens</c>; default 0.</summary>
    public int? CachedTokens { get; init; }

    /// <summary>OpenAI chat <c>prompt_tokens_details.audio_tokens</c> (part of the prompt tokens); default 0.</summary>
    public int AudioPromptTokens { get; init; }

    /// <summary>OpenAI chat <c>completion_tokens_details.audio_tokens</c> (part of the completion tokens); default 0.</summary>
    public int AudioCompletionTokens { get; init; }

    /// <summary>Anthropic <c>cache_creation_input_tokens</c>; default 0.</summary>
    public int? CacheCreationTokens { get; init; }

    /// <summary>The part of <see cref="CacheCreationTokens"/> Anthropic reports in <c>cache_creation.ephemeral_1h_input_tokens</c>.</summary>
    public int? CacheCreation1hTokens { get; init; }

    /// <summary>
    /// Hosted web searches run: Anthropic <c>usage.server_tool_use.web_search_requests</c> (in a stream, on <c>message_delta</c>
    /// only, as the API reports it at the end); OpenAI Responses: that many <c>web_search_call</c> output items first.
    /// </summary>
    public int WebSearchRequests { get; init; }

    /// <summary>Anthropic <c>usage.server_tool_use.web_fetch_requests</c>.</summary>
    public int WebFetchRequests { get; init; }

    /// <summary>OpenAI Responses: that many <c>file_search_call</c> output items first.</summary>
    public int FileSearchCalls { get; init; }

    /// <summary>OpenAI Responses: a <c>code_interpreter_call</c> output item in each of these containers, first.</summary>
    public IReadOnlyList<string> CodeInterpreterContainers { get; init; } = [];

    /// <summary>Report 0 for every usage number (overrides the token properties).</summary>
    public bool ZeroUsage { get; init; }

    /// <summary>Wait before anything is sent (time to first byte).</summary>
    public TimeSpan DelayBeforeHeaders { get; init; }

    /// <summary>Wait before every content delta of a stream.</summary>
    public TimeSpan DelayBetweenChunks { get; init; }

    /// <summary>Split the text into this many deltas (on text elements); null streams one delta per word.</summary>
    public int? ChunkCount { get; init; }

    /// <summary>Abort the connection after the stream preamble and this many content deltas.</summary>
    public int? DropConnectionAfterChunks { get; init; }

    /// <summary>Send the provider's in-band error event after the preamble and this many content deltas, then end.</summary>
    public int? InBandErrorAfterChunks { get; init; }

    /// <summary>Answer 200 with the stream headers, then end without a single event.</summary>
    public bool EmptyStream { get; init; }

    /// <summary>Abort the connection without sending a response.</summary>
    public bool ResetBeforeHeaders { get; init; }

    /// <summary>OpenAI <c>finish_reason</c>; default <c>stop</c>, or <c>tool_calls</c> when there are tool calls.</summary>
    public string? FinishReason { get; init; }

    /// <summary>Anthropic <c>stop_reason</c>; default <c>end_turn</c>, or <c>tool_use</c> when there are tool calls.</summary>
    public string? StopReason { get; init; }

    /// <summary>Never answer; ends when the client aborts the request or the server is disposed.</summary>
    public bool Hang { get; init; }

    /// <summary>Extra response headers (e.g. a provider's <c>x-ratelimit-remaining-*</c>).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>A plain 200 answer with the deterministic defaults.</summary>
    public static FakeResponse Ok { get; } = new();

    /// <summary>A provider error with the given status, e.g. <c>FakeResponse.Error(429, retryAfter: TimeSpan.FromSeconds(3))</c>.</summary>
    public static FakeResponse Error(int status, string? message = null, TimeSpan? retryAfter = null) =>
        new() { Status = status, ErrorMessage = message, RetryAfter = retryAfter };
}
