namespace LlmGateway.Api.Limits;

/// <summary>Limits settings (section <c>Gateway:Limits</c>).</summary>
public sealed class LimitsOptions
{
    /// <summary>When Redis is unreachable: false (default) keeps serving with per-replica limits; true answers 503.</summary>
    public bool FailClosed { get; set; }
}
