namespace LlmGateway.Api.ContentLogs;

/// <summary>Content logging settings (section <c>Gateway</c>). Off unless a key's or team's metadata says <c>log_content: true</c>.</summary>
public sealed class ContentLogOptions
{
    /// <summary>Rows older than this are deleted (default 7 days).</summary>
    public TimeSpan ContentLogRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the retention job runs (default 10 minutes).</summary>
    public TimeSpan ContentLogSweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Request and response are each cut at this many bytes (default 1 MiB).</summary>
    public int MaxContentBytes { get; set; } = 1024 * 1024;
}
