using System.Text.Json;

namespace LlmGateway.Admin.Components.Shared;

/// <summary>
/// The limits a form emptied, sent as JSON nulls: the management API removes a limit sent as null and keeps one left out
/// (LiteLLM's update semantics). The admin's requests leave out every null field, so a removal is sent explicitly
/// (<see cref="Services.BudgetRequest.Removed"/>).
/// </summary>
public static class LimitRemovals
{
    private static readonly JsonElement Null = JsonSerializer.SerializeToElement<object?>(null);

    /// <summary>The fields removed (had a value, now empty) as <c>"field": null</c> entries; null when none was.</summary>
    public static Dictionary<string, JsonElement>? Of(params (string Field, bool Had, bool Has)[] fields)
    {
        Dictionary<string, JsonElement>? removed = null;
        foreach (var (field, had, has) in fields)
        {
            if (had && !has)
            {
                (removed ??= [])[field] = Null;
            }
        }

        return removed;
    }
}
