namespace LlmGateway.Api.Configuration;

/// <summary>The deployments sharing one <c>model_name</c>, ordered by <c>order</c> (unset last), then list position.</summary>
public sealed class ModelGroup(string name, IReadOnlyList<DeploymentConfig> deployments)
{
    public string Name { get; } = name;
    public IReadOnlyList<DeploymentConfig> Deployments { get; } = deployments;

    /// <summary>The deployments' ids, in the same order (computed once: the router reads them on every request).</summary>
    public IReadOnlyList<string> DeploymentIds { get; } = [.. deployments.Select(d => d.Id)];

    /// <summary>The access groups its deployments belong to (<c>model_info.access_groups</c>): a model list naming one grants this group.</summary>
    public IReadOnlyList<string> AccessGroups { get; } = [.. deployments.SelectMany(d => d.ModelInfo.AccessGroups).Distinct(StringComparer.Ordinal)];

    /// <summary>For a concrete model served by a wildcard group (<c>anthropic/*</c>), that group: its routing strategy and metric label.</summary>
    public ModelGroup? Pattern { get; init; }

    /// <summary>The name metrics are labelled with: bounded by the config, whatever model names clients send.</summary>
    public string MetricName => Pattern?.Name ?? Name;

    public override string ToString() => $"{Name} ({Deployments.Count} deployments)";
}
