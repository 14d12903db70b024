using System.Text.Json.Nodes;

namespace LlmGateway.Api.Translation;

/// <summary>
/// A tool the model may call: a function with a JSON schema, a freeform tool (text in, no schema), or a hosted
/// tool that only its own provider runs (<see cref="HostedType"/>, e.g. <c>web_search</c>, kept whole in <see cref="Raw"/>).
/// </summary>
public sealed record ToolDefinition(string Name, string? Description, JsonNode? Parameters)
{
    public bool Freeform { get; init; }
    /// <summary>A freeform tool's grammar (<c>format</c>), if it has one.</summary>
    public JsonNode? Format { get; init; }
    public bool? Strict { get; init; }
    public JsonNode? CacheControl { get; init; }
    public string? HostedType { get; init; }
    /// <summary>The tool as the client sent it, for an upstream of the client's own family.</summary>
    public JsonObject? Raw { get; init; }
}

public enum ToolChoiceKind
{
    Auto,
    None,
    /// <summary>Some tool must be called (OpenAI <c>required</c>, Anthropic <c>any</c>).</summary>
    Required,
    /// <summary>This tool must be called.</summary>
    Named,
}

public sealed record ToolChoice(ToolChoiceKind Kind, string? Name = null)
{
    public static readonly ToolChoice Auto = new(ToolChoiceKind.Auto);
    public static readonly ToolChoice None = new(ToolChoiceKind.None);
    public static readonly ToolChoice Required = new(ToolChoiceKind.Required);

    /// <summary>OpenAI's string modes <c>auto</c>, <c>none</c>, <c>required</c>; null for anything else.</summary>
    public static ToolChoice? FromMode(string? mode) => mode switch
    {
        "auto" => Auto,
        "none" => None,
        "required" => Required,
        _ => null,
    };
}
