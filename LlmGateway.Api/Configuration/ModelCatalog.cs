using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace LlmGateway.Api.Configuration;

/// <summary>The model groups clients can ask for, built once from the configuration; the router's lookup seam.</summary>
public sealed class ModelCatalog
{
    private readonly FrozenDictionary<string, ModelGroup> byName;

    public ModelCatalog(GatewayConfig config)
    {
        Groups = config.Deployments
            .GroupBy(d => d.ModelName, StringComparer.Ordinal)
            .Select(g => new ModelGroup(g.Key, [.. g.OrderBy(d => d.Order ?? int.MaxValue).ThenBy(d => d.Index)]))
            .ToArray();
        byName = Groups.Where(g => !WildcardGroups.IsPattern(g.Name)).ToFrozenDictionary(g => g.Name, StringComparer.Ordinal);
        wildcards = new WildcardGroups(Groups.Where(g => WildcardGroups.IsPattern(g.Name)));
    }

    private readonly WildcardGroups wildcards;

    /// <summary>Groups in order of first appearance in the model list.</summary>
    public IReadOnlyList<ModelGroup> Groups { get; }

    /// <summary>Case-sensitive lookup, as LiteLLM does: "GPT-4o" and "gpt-4o" are different groups. An exact group wins over a wildcard one.</summary>
    public bool TryGetGroup(string modelName, [MaybeNullWhen(false)] out ModelGroup group) =>
        byName.TryGetValue(modelName, out group) || wildcards.TryGet(modelName, out group);
}
