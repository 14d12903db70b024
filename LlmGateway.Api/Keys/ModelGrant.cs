namespace LlmGateway.Api.Keys;

/// <summary>
/// What a model list (a key's, team's, user's or tag's <c>models</c>) grants: an empty list every model; else a model by
/// name, <c>*</c> every model, an access group name every model in the group, and <c>provider/*</c> every model whose name
/// starts with <c>provider/</c> (a wildcard deployment's models).
/// </summary>
public static class ModelGrant
{
    public static bool Allows(IReadOnlyList<string> granted, string model, IReadOnlyList<string> accessGroups)
    {
        if (granted.Count == 0)
        {
            return true;
        }

        foreach (var entry in granted)
        {
            if (entry == model || entry == "*" || Wildcard(entry, model))
            {
                return true;
            }

            foreach (var group in accessGroups)
            {
                if (entry == group)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary><c>anthropic/*</c> grants <c>anthropic/claude-x</c> (and the wildcard group <c>anthropic/*</c> itself).</summary>
    private static bool Wildcard(string entry, string model) =>
        entry.Length > 1 && entry[^1] == '*' && model.Length >= entry.Length - 1
        && model.AsSpan().StartsWith(entry.AsSpan(0, entry.Length - 1), StringComparison.Ordinal);
}
