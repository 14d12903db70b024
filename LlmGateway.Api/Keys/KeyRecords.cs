using System.Text.Json;
using LlmGateway.Api.Data.Entities;

namespace LlmGateway.Api.Keys;

/// <summary>A key row (with its team) as the cached <see cref="KeyRecord"/> the request path reads.</summary>
public static class KeyRecords
{
    public static KeyRecord From(VirtualKey key, bool usedPrevious = false, InternalUser? user = null) => new()
    {
        Token = key.Token,
        KeyName = key.KeyName,
        KeyAlias = key.KeyAlias,
        UserId = key.UserId,
        TeamId = key.TeamId,
        TeamAlias = key.Team?.TeamAlias,
        Models = key.Models,
        TeamModels = key.Team?.Models ?? [],
        Blocked = key.Blocked,
        TeamBlocked = key.Team?.Blocked ?? false,
        Expires = key.Expires,
        GraceUntil = usedPrevious ? key.PreviousTokenExpires : null,
        Tags = key.Tags,
        TeamTags = key.Team?.Tags ?? [],
        KeyLimits = new ScopeLimits
        {
            RpmLimit = key.RpmLimit,
            TpmLimit = key.TpmLimit,
            MaxParallelRequests = key.MaxParallelRequests,
            MaxBudget = key.MaxBudget,
            SoftBudget = key.SoftBudget,
            BudgetDuration = key.BudgetDuration,
            BudgetAnchor = key.CreatedAt,
            TempBudgetIncrease = key.TempBudgetIncrease,
            TempBudgetExpiry = key.TempBudgetExpiry,
        },
        TeamLimits = key.Team is not { } team ? null : new ScopeLimits
        {
            RpmLimit = team.RpmLimit,
            TpmLimit = team.TpmLimit,
            MaxParallelRequests = team.MaxParallelRequests,
            MaxBudget = team.MaxBudget,
            SoftBudget = team.SoftBudget,
            BudgetDuration = team.BudgetDuration,
            BudgetAnchor = team.CreatedAt,
        },
        UserLimits = user is null ? null : new ScopeLimits
        {
            RpmLimit = user.RpmLimit,
            TpmLimit = user.TpmLimit,
            MaxParallelRequests = user.MaxParallelRequests,
            MaxBudget = user.MaxBudget,
            SoftBudget = user.SoftBudget,
            BudgetDuration = user.BudgetDuration,
            BudgetAnchor = user.CreatedAt,
        },
        UserModels = user?.Models ?? [],
        BudgetWindows = KeyBudgets.ParseWindows(key.BudgetLimits),
        ModelRpmLimit = ParseLimits(key.ModelRpmLimit),
        ModelTpmLimit = ParseLimits(key.ModelTpmLimit),
        AllowedCacheControls = KeyMetadata.AllowedCacheControls(key.Metadata),
        LogContent = KeyMetadata.LogsContent(key.Metadata) || KeyMetadata.LogsContent(key.Team?.Metadata),
        CacheEnabled = KeyMetadata.Flag(key.Team?.Metadata, "cache"),
    };

    /// <summary>A per-model limits column (<c>{"model": limit}</c>) read; empty when it is not one.</summary>
    public static Dictionary<string, long> ParseLimits(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, long>>(json) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
