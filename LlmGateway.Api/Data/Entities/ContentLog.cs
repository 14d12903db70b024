namespace LlmGateway.Api.Data.Entities;

/// <summary>A request's prompt and completion, kept only for keys or teams with <c>log_content: true</c>, deleted after the retention period.</summary>
public sealed class ContentLog
{
    public long Id { get; set; }
    public required string RequestId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? ApiKey { get; set; }
    public string? TeamId { get; set; }
    public required string Path { get; set; }
    public int StatusCode { get; set; }
    public required string Request { get; set; }
    public required string Response { get; set; }
    public bool Truncated { get; set; }
}
