using LlmGateway.Api.Limits;

namespace LlmGateway.Api.Tags;

/// <summary>
/// A request's tags: its key's and team's (forced, whatever the client sends) and the ones it named itself. Held in the
/// request's features so the usage event records them (<c>request_tags</c>); <see cref="Scopes"/> are the limit scopes of
/// those in the tag table that limit something.
/// </summary>
public sealed record RequestTags(IReadOnlyList<string> Names, IReadOnlyList<TagRecord> Known, IReadOnlyList<LimitScope> Scopes)
{
    public static readonly RequestTags None = new([], [], []);

    public static RequestTags? Of(HttpContext context) => context.Features.Get<RequestTags>();

    public bool HasBudget
    {
        get
        {
            foreach (var scope in Scopes)
            {
                if (scope.Budget is not null)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Whether every known tag with a model list allows the model group (a fallback it may not use is skipped).</summary>
    public bool Allow(string group, IReadOnlyList<string> accessGroups) => Refusing(group, accessGroups) is null;

    /// <summary>The first tag whose model list does not allow the group.</summary>
    public TagRecord? Refusing(string group, IReadOnlyList<string> accessGroups)
    {
        foreach (var tag in Known)
        {
            if (!tag.Allows(group, accessGroups))
            {
                return tag;
            }
        }

        return null;
    }
}
