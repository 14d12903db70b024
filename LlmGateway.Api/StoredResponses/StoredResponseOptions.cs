namespace LlmGateway.Api.StoredResponses;

/// <summary>Stored Responses API state (section <c>Gateway:Responses</c>).</summary>
public sealed class StoredResponseOptions
{
    /// <summary>Stored responses older than this are deleted and no longer found (default 30 days).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the retention job runs (default 1 hour).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The longest a read or write of stored state may take before it is given up (default 5 seconds).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}
