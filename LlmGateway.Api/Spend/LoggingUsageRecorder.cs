namespace LlmGateway.Api.Spend;

/// <summary>Stand-in until the ledger pipeline is registered: logs the event's size and status only.</summary>
internal sealed class LoggingUsageRecorder(ILogger<LoggingUsageRecorder> logger) : IUsageRecorder
{
    public ValueTask RecordAsync(UsageEvent usage, CancellationToken cancellationToken = default)
    {
        logger.LogDebug("Usage {RequestId}: {Status} {Tokens} tokens ${Spend}", usage.RequestId, usage.Status,
            usage.PromptTokens + usage.CompletionTokens, usage.Spend);
        return ValueTask.CompletedTask;
    }
}
