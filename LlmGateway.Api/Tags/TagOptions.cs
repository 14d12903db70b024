namespace LlmGateway.Api.Tags;

/// <summary>Request tags (section <c>Gateway:Tags</c>, docs/governance.md).</summary>
public sealed class TagOptions
{
    /// <summary>Tags a request may name itself (body <c>tags</c>, <c>metadata.tags</c>, the tag headers); more is a 400. Default 16.</summary>
    public int MaxTagsPerRequest { get; set; } = 16;

    /// <summary>The longest tag a request may name; longer is a 400. Default 64 (the tag table's own limit).</summary>
    public int MaxTagLength { get; set; } = 64;

    /// <summary>How often each replica reloads the tag table, besides the change messages; default 10 s.</summary>
    public double RefreshSeconds { get; set; } = 10;
}
