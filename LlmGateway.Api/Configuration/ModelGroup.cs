namespace LlmGateway.Api.Configuration;

/// <summary>The deployments sharing one <c>model_name</c>, ordered by <c>order</c> (unset last), then list position.</summary>
public sealed class ModelGroup(string name, IReadOnlyList<DeploymentConfig> deployments)
{
    public string Name { get; } = name;
    public IReadOnlyList<DeploymentConfig> Deployments { get; } = deployments;

    public override string ToString() => $"{Name} ({Deployments.Count} deployments)";
}
