using System.Text.Json;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Api.Limits;

namespace LlmGateway.Api.Management;

/// <summary>Entities to LiteLLM's response shapes.</summary>
public static class ManagementMapping
{
    public static TeamResponse ToResponse(Team team, decimal spend, DateTimeOffset now) => new()
    {
        TeamId = team.TeamId,
        TeamAlias = team.TeamAlias,
        Models = team.Models,
        MaxBudget = team.MaxBudget,
        SoftBudget = team.SoftBudget,
        BudgetDuration = team.BudgetDuration,
        BudgetResetAt = ResetAt(team.BudgetDuration, team.CreatedAt, now),
        Spend = spend,
        RpmLimit = team.RpmLimit,
        TpmLimit = team.TpmLimit,
        MaxParallelRequests = team.MaxParallelRequests,
        Metadata = Parse(team.Metadata),
        Tags = team.Tags,
        Blocked = team.Blocked,
        MembersWithRoles = Parse(team.MembersWithRoles),
        OrganizationId = team.OrganizationId,
        CreatedAt = team.CreatedAt,
        UpdatedAt = team.UpdatedAt,
    };

    public static KeyInfo ToInfo(VirtualKey key, decimal spend, DateTimeOffset now) => new()
    {
        Token = key.Token,
        KeyName = key.KeyName,
        KeyAlias = key.KeyAlias,
        TeamId = key.TeamId,
        UserId = key.UserId,
        Models = key.Models,
        MaxBudget = key.MaxBudget,
        SoftBudget = key.SoftBudget,
        BudgetDuration = key.BudgetDuration,
        BudgetResetAt = ResetAt(key.BudgetDuration, key.CreatedAt, now),
        Spend = spend,
        RpmLimit = key.RpmLimit,
        TpmLimit = key.TpmLimit,
        MaxParallelRequests = key.MaxParallelRequests,
        Expires = key.Expires,
        Metadata = Parse(key.Metadata),
        Tags = key.Tags,
        Blocked = key.Blocked,
        ModelMaxBudget = Parse(key.ModelMaxBudget),
        ModelRpmLimit = Parse(key.ModelRpmLimit),
        ModelTpmLimit = Parse(key.ModelTpmLimit),
        TempBudgetIncrease = key.TempBudgetIncrease,
        TempBudgetExpiry = key.TempBudgetExpiry,
        CreatedAt = key.CreatedAt,
        UpdatedAt = key.UpdatedAt,
        LastUsedAt = key.LastUsedAt,
        BudgetId = key.BudgetId,
        BudgetLimits = Keys.KeyBudgets.ParseWindows(key.BudgetLimits),
    };

    public static UserResponse ToResponse(InternalUser user, decimal spend, DateTimeOffset now) => new()
    {
        UserId = user.UserId,
        UserAlias = user.UserAlias,
        UserEmail = user.UserEmail,
        UserRole = user.UserRole,
        Models = user.Models,
        Teams = user.Teams,
        MaxBudget = user.MaxBudget,
        SoftBudget = user.SoftBudget,
        BudgetDuration = user.BudgetDuration,
        BudgetResetAt = ResetAt(user.BudgetDuration, user.CreatedAt, now),
        Spend = spend,
        RpmLimit = user.RpmLimit,
        TpmLimit = user.TpmLimit,
        MaxParallelRequests = user.MaxParallelRequests,
        Metadata = Parse(user.Metadata),
        CreatedAt = user.CreatedAt,
        UpdatedAt = user.UpdatedAt,
        BudgetId = user.BudgetId,
    };

    public static DateTimeOffset? ResetAt(string? duration, DateTimeOffset anchor, DateTimeOffset now) =>
        BudgetWindow.TryParseDuration(duration, out _, out _) ? BudgetWindow.For(duration, anchor, now).ResetAt : null;

    /// <summary>A JSON object or array from the request, kept as its text (jsonb); anything else becomes the fallback.</summary>
    public static string Json(JsonElement? value, string fallback) =>
        value is { ValueKind: JsonValueKind.Object or JsonValueKind.Array } element ? element.GetRawText() : fallback;

    public static string Json<T>(T? value, string fallback) where T : class =>
        value is null ? fallback : JsonSerializer.Serialize(value);

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(string.IsNullOrEmpty(json) ? "{}" : json);
        return document.RootElement.Clone();
    }
}
