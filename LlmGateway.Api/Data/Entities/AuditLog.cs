namespace LlmGateway.Api.Data.Entities;

/// <summary>Who read what, and when: every read of <c>content_logs</c> leaves one row.</summary>
public sealed class AuditLog
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Actor { get; set; }
    public required string Action { get; set; }
    public string? Target { get; set; }
    public int Results { get; set; }
    public string? ClientAddress { get; set; }
}
