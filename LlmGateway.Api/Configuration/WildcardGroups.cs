using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace LlmGateway.Api.Configuration;

/// <summary>
/// LiteLLM's wildcard deployments: a <c>model_name</c> with one <c>*</c> (<c>anthropic/*</c>, <c>claude-*</c>, <c>*</c>) serves
/// every model name it matches, its deployments' <c>*</c> (<c>litellm_params.model: anthropic/*</c>) replaced by what the
/// star matched. The most specific pattern (longest fixed part) wins. Each concrete model is a group of its own for the
/// request (its name in the ledger and the cache key), sharing the pattern's deployment ids, so routing state stays one
/// per configured deployment whatever names clients send (docs/routing.md).
/// </summary>
public sealed class WildcardGroups(IEnumerable<ModelGroup> patterns)
{
    /// <summary>Concrete groups kept; past this the cache starts over (model names are the client's choice).</summary>
    private const int MaxCached = 4096;
    private const int MaxModelName = 256;

    private readonly ModelGroup[] patterns = [.. patterns.OrderByDescending(p => p.Name.Length)];
    private readonly ConcurrentDictionary<string, ModelGroup> concrete = new(StringComparer.Ordinal);

    public static bool IsPattern(string modelName) => modelName.Count(c => c == '*') == 1;

    public bool TryGet(string modelName, [MaybeNullWhen(false)] out ModelGroup group)
    {
        if (concrete.TryGetValue(modelName, out group))
        {
            return true;
        }

        group = null;
        if (patterns.Length == 0 || modelName.Length is 0 or > MaxModelName || modelName.Contains('*'))
        {
            return false;
        }

        foreach (var pattern in patterns)
        {
            if (Match(pattern.Name, modelName) is { } matched)
            {
                group = new ModelGroup(modelName, [.. pattern.Deployments.Select(d => d with
                {
                    ModelName = modelName,
                    ProviderModel = d.ProviderModel.Replace("*", matched, StringComparison.Ordinal),
                    FromWildcard = true,
                })]) { Pattern = pattern };
                if (concrete.Count >= MaxCached)
                {
                    concrete.Clear();
                }

                group = concrete.GetOrAdd(modelName, group);
                return true;
            }
        }

        return false;
    }

    /// <summary>What the pattern's star matched in the name (at least one character), or null.</summary>
    private static string? Match(string pattern, string name)
    {
        var star = pattern.IndexOf('*');
        var prefix = pattern.AsSpan(0, star);
        var suffix = pattern.AsSpan(star + 1);
        return name.Length > prefix.Length + suffix.Length && name.AsSpan().StartsWith(prefix, StringComparison.Ordinal)
            && name.AsSpan().EndsWith(suffix, StringComparison.Ordinal)
            ? name[prefix.Length..^suffix.Length]
            : null;
    }
}
