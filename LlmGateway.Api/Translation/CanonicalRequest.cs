using System.Text.Json.Nodes;

namespace LlmGateway.Api.Translation;

/// <summary>
/// A chat request in no client's format: what a client adapter decodes into and an upstream adapter encodes from.
/// Only built when the client's format differs from the upstream's; pass-through never builds one.
/// </summary>
public sealed class CanonicalRequest
{
    /// <summary>The model group the client asked for (the upstream adapter writes the deployment's model instead).</summary>
    public required string Model { get; init; }

    /// <summary>Every turn in order, system and developer instructions included where the client put them.</summary>
    public List<CanonicalMessage> Messages { get; init; } = [];

    public List<ToolDefinition> Tools { get; init; } = [];
    public ToolChoice? ToolChoice { get; set; }
    /// <summary>False: at most one tool call per turn.</summary>
    public bool? ParallelToolCalls { get; set; }

    public long? MaxOutputTokens { get; set; }
    /// <summary>Which field the client used for <see cref="MaxOutputTokens"/>, so errors name it (max_tokens, max_completion_tokens, max_output_tokens).</summary>
    public string MaxOutputTokensField { get; set; } = "max_tokens";
    public double? Temperature { get; set; }
    public double? TopP { get; set; }
    public long? TopK { get; set; }
    public List<string> StopSequences { get; init; } = [];
    public bool Stream { get; set; }
    /// <summary>The client asked for usage in its stream (chat completions' <c>stream_options.include_usage</c>).</summary>
    public bool IncludeUsage { get; set; }

    public ResponseFormat? ResponseFormat { get; set; }
    public ReasoningRequest? Reasoning { get; set; }

    /// <summary>The end user the client named (<c>user</c>, <c>safety_identifier</c>, <c>metadata.user_id</c>).</summary>
    public string? User { get; set; }

    /// <summary>
    /// Parameters the client sent that the canonical model does not carry (by client field name, with their JSON).
    /// An upstream that cannot honour one refuses the request naming it, or drops it with <c>drop_params</c>.
    /// </summary>
    public Dictionary<string, JsonNode?> Unmapped { get; init; } = [];
}

public enum Role
{
    System,
    Developer,
    User,
    Assistant,
    /// <summary>A turn carrying tool results only.</summary>
    Tool,
}

/// <summary>One turn. A chat completions <c>tool</c> message is a <see cref="Role.Tool"/> turn with one <see cref="ToolResultPart"/>.</summary>
public sealed record CanonicalMessage(Role Role, List<ContentPart> Parts)
{
    /// <summary>The participant name some formats carry (<c>name</c> on chat messages).</summary>
    public string? Name { get; init; }
}

/// <summary>What the client asked the output to look like.</summary>
public sealed record ResponseFormat(ResponseFormatKind Kind, string? Name = null, JsonNode? Schema = null, bool? Strict = null, string? Description = null);

public enum ResponseFormatKind
{
    Text,
    JsonObject,
    JsonSchema,
}

/// <summary>
/// Reasoning the client asked for: an effort (OpenAI's <c>reasoning_effort</c>, low/medium/high/…) and/or a token budget
/// (Anthropic's <c>thinking.budget_tokens</c>); <see cref="Enabled"/> false means explicitly off.
/// </summary>
public sealed record ReasoningRequest(bool Enabled, string? Effort = null, long? BudgetTokens = null)
{
    /// <summary>Anthropic's <c>thinking</c> object as the client sent it, for an Anthropic upstream to receive unchanged.</summary>
    public JsonNode? AnthropicThinking { get; init; }
}
