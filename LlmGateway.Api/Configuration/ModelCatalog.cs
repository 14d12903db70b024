using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace LlmGateway.Api.Configuration;

/// <summary>
/// The model groups clients can ask for: the config file's deployments, then those stored in the database
/// (<c>/model/new</c>), swapped in whole by <see cref="Replace"/>. A request keeps the group it looked up, so an
/// in-flight request on a deployment deleted or changed meanwhile finishes on the deployment it started with.
/// </summary>
public sealed class ModelCatalog
{
    private readonly IReadOnlyList<DeploymentConfig> configured;
    private readonly FrozenSet<string> configuredIds;
    private volatile Snapshot current;

    public ModelCatalog(GatewayConfig config)
    {
        configured = config.Deployments;
        configuredIds = configured.Select(d => d.Id).ToFrozenSet(StringComparer.Ordinal);
        current = Build(configured, []);
    }

    /// <summary>Groups in order of first appearance: the config file's model list, then the stored deployments.</summary>
    public IReadOnlyList<ModelGroup> Groups => current.Groups;

    /// <summary>Every deployment: the config file's, then the stored ones; blocked ones included.</summary>
    public IReadOnlyList<DeploymentConfig> Deployments => current.Deployments;

    /// <summary>The deployments that serve traffic: all but the blocked ones (<c>model_info.blocked</c>).</summary>
    public IReadOnlyList<DeploymentConfig> Serving => current.Serving;

    /// <summary>The deployments stored in the database, as last swapped in.</summary>
    public IReadOnlyList<DeploymentConfig> Stored => current.Stored;

    /// <summary>Whether <paramref name="id"/> is a deployment of the config file (which the model API cannot change).</summary>
    public bool IsConfigured(string id) => configuredIds.Contains(id);

    /// <summary>Case-sensitive lookup, as LiteLLM does: "GPT-4o" and "gpt-4o" are different groups. An exact group wins over a wildcard one.</summary>
    public bool TryGetGroup(string modelName, [MaybeNullWhen(false)] out ModelGroup group)
    {
        var snapshot = current;
        return snapshot.ByName.TryGetValue(modelName, out group) || snapshot.Wildcards.TryGet(modelName, out group);
    }

    /// <summary>Swaps in the stored deployments; one whose id is also in the config file is left out (the config wins).</summary>
    public void Replace(IReadOnlyList<DeploymentConfig> stored) =>
        current = Build(configured, [.. stored.Where(d => !IsConfigured(d.Id))]);

    private static Snapshot Build(IReadOnlyList<DeploymentConfig> configured, IReadOnlyList<DeploymentConfig> stored)
    {
        IReadOnlyList<DeploymentConfig> all = [.. configured, .. stored];
        // A blocked deployment is left out of its group: a group with only blocked ones is unknown, as LiteLLM's /v1/models hides it.
        IReadOnlyList<DeploymentConfig> serving = [.. all.Where(d => !d.ModelInfo.Blocked)];
        var groups = serving
            .GroupBy(d => d.ModelName, StringComparer.Ordinal)
            .Select(g => new ModelGroup(g.Key, [.. g.OrderBy(d => d.Order ?? int.MaxValue).ThenBy(d => d.Index)]))
            .ToArray();
        var byName = groups.Where(g => !WildcardGroups.IsPattern(g.Name)).ToFrozenDictionary(g => g.Name, StringComparer.Ordinal);
        return new Snapshot(groups, byName, new WildcardGroups(groups.Where(g => WildcardGroups.IsPattern(g.Name))), all, stored, serving);
    }

    private sealed record Snapshot(
        IReadOnlyList<ModelGroup> Groups, FrozenDictionary<string, ModelGroup> ByName, WildcardGroups Wildcards,
        IReadOnlyList<DeploymentConfig> Deployments, IReadOnlyList<DeploymentConfig> Stored, IReadOnlyList<DeploymentConfig> Serving);
}
