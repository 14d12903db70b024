namespace LlmGateway.Api.Models;

/// <summary><c>Gateway:Models</c>: how stored deployments reach every replica.</summary>
public sealed class ModelsOptions
{
    /// <summary>Seconds between reads of the stored models, the backstop for a lost change message; default 5.</summary>
    public double PollSeconds { get; set; } = 5;
}
