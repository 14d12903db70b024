using System.Collections.Frozen;

namespace LlmGateway.Api.Pricing;

/// <summary>How the built-in tables find a provider's model id: exact, else without its date or version suffix (claude-sonnet-4-20250514 → claude-sonnet-4).</summary>
public static class ModelIds
{
    public static bool TryFind<T>(FrozenDictionary<string, T> table, string modelId, out T value)
    {
        if (table.TryGetValue(modelId, out value!))
        {
            return true;
        }

        var dash = modelId.LastIndexOf('-');
        while (dash > 0)
        {
            var prefix = modelId[..dash];
            if (table.TryGetValue(prefix, out value!))
            {
                return true;
            }

            dash = prefix.LastIndexOf('-');
        }

        return false;
    }
}
