using System.Text.Json;
using LlmGateway.Admin.Components.Shared;
using LlmGateway.Admin.Services;

namespace LlmGateway.Admin.Components.Pages.Teams;

/// <summary>The team dialog's fields, as typed, and their translation to the Api's request.</summary>
public sealed class TeamForm
{
    public string? Alias { get; set; }
    public double? MaxBudget { get; set; }
    public string? BudgetDuration { get; set; } = "1mo";
    public long? RpmLimit { get; set; }
    public long? TpmLimit { get; set; }
    public long? MaxParallelRequests { get; set; }
    public string? Models { get; set; }
    public string? Tags { get; set; }
    public string? Metadata { get; set; }
    public bool Blocked { get; set; }

    public static TeamForm From(Team team) => new()
    {
        Alias = team.TeamAlias,
        MaxBudget = team.MaxBudget,
        BudgetDuration = team.BudgetDuration,
        RpmLimit = team.RpmLimit,
        TpmLimit = team.TpmLimit,
        MaxParallelRequests = team.MaxParallelRequests,
        Models = string.Join(", ", team.Models ?? []),
        Tags = string.Join(", ", team.Tags ?? []),
        Metadata = MetadataText.Write(team.Metadata),
        Blocked = team.Blocked,
    };

    /// <summary>Why the form cannot be saved as typed, or null.</summary>
    public string? Problem() => FormChecks.First(
        FormChecks.NotNegative("Budget", MaxBudget),
        FormChecks.NotNegative("Requests / min", RpmLimit),
        FormChecks.NotNegative("Tokens / min", TpmLimit),
        FormChecks.NotNegative("Parallel requests", MaxParallelRequests));

    /// <summary>The request; for an update of <paramref name="existing"/>, the limits it had and the form emptied are removed.</summary>
    public TeamRequest ToRequest(string? teamId, Team? existing = null) => new()
    {
        Removed = existing is null ? null : BudgetLimits.Of(MaxBudget, BudgetDuration, RpmLimit, TpmLimit, MaxParallelRequests)
            .RemovedSince(BudgetLimits.Of(existing.MaxBudget, existing.BudgetDuration, existing.RpmLimit, existing.TpmLimit, existing.MaxParallelRequests)),
        TeamId = teamId,
        TeamAlias = Alias?.Trim(),
        MaxBudget = MaxBudget,
        BudgetDuration = string.IsNullOrWhiteSpace(BudgetDuration) ? null : BudgetDuration,
        RpmLimit = RpmLimit,
        TpmLimit = TpmLimit,
        MaxParallelRequests = MaxParallelRequests,
        Models = Format.SplitList(Models),
        Tags = Format.SplitList(Tags),
        Metadata = MetadataText.Read(Metadata),
        Blocked = Blocked,
    };
}

/// <summary>Metadata edited as <c>key=value</c> lines.</summary>
public static class MetadataText
{
    public static string Write(Dictionary<string, JsonElement>? metadata) =>
        metadata is null ? "" : string.Join('\n', metadata.Select(p => $"{p.Key}={(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())}"));

    public static Dictionary<string, string> Read(string? text) =>
        (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(parts => parts.Length == 2 && parts[0].Length > 0)
            .GroupBy(parts => parts[0])
            .ToDictionary(g => g.Key, g => g.Last()[1]);
}
