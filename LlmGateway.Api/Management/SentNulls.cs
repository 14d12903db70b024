using LlmGateway.Api.Data.Entities;
using System.Text.Json.Serialization.Metadata;

namespace LlmGateway.Api.Management;

/// <summary>
/// A management body that remembers which of its fields came as an explicit JSON <c>null</c>. On update LiteLLM reads
/// <c>"max_budget": null</c> as "remove the budget" and a field left out as "keep it"; a nullable property alone cannot
/// tell the two apart.
/// </summary>
public interface ISentNulls
{
    /// <summary>The JSON names of the fields the body sent as null.</summary>
    HashSet<string> SentNull { get; }
}

/// <summary>An update request's limits (<see cref="IHolderLimits"/>, as sent), and which of them it sent as null.</summary>
public interface ILimitsUpdate : ISentNulls
{
    decimal? MaxBudget { get; }
    decimal? SoftBudget { get; }
    string? BudgetDuration { get; }
    long? RpmLimit { get; }
    long? TpmLimit { get; }
    int? MaxParallelRequests { get; }
}

public static class SentNulls
{
    /// <summary>A System.Text.Json contract modifier: reading an <see cref="ISentNulls"/> body notes each field set to null.</summary>
    public static void Track(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object || !typeof(ISentNulls).IsAssignableFrom(info.Type))
        {
            return;
        }

        foreach (var property in info.Properties)
        {
            if (property.Set is not { } set)
            {
                continue;
            }

            var name = property.Name;
            property.Set = (body, value) =>
            {
                set(body, value);
                if (value is null)
                {
                    ((ISentNulls)body).SentNull.Add(name);
                }
            };
        }
    }

    /// <summary>A holder's limits after an update (<see cref="Updated{T}(ISentNulls, string, T?, T?)"/> each).</summary>
    public static void ApplyLimits(this ILimitsUpdate request, IHolderLimits holder)
    {
        holder.MaxBudget = request.Updated("max_budget", request.MaxBudget, holder.MaxBudget);
        holder.SoftBudget = request.Updated("soft_budget", request.SoftBudget, holder.SoftBudget);
        holder.BudgetDuration = request.Updated("budget_duration", request.BudgetDuration, holder.BudgetDuration);
        holder.RpmLimit = request.Updated("rpm_limit", request.RpmLimit, holder.RpmLimit);
        holder.TpmLimit = request.Updated("tpm_limit", request.TpmLimit, holder.TpmLimit);
        holder.MaxParallelRequests = request.Updated("max_parallel_requests", request.MaxParallelRequests, holder.MaxParallelRequests);
    }

    /// <summary>A limit's value after an update: the value sent; none when null was sent; else the current one.</summary>
    public static T? Updated<T>(this ISentNulls body, string field, T? sent, T? current) where T : struct =>
        sent ?? (body.SentNull.Contains(field) ? null : current);

    /// <inheritdoc cref="Updated{T}(ISentNulls, string, T?, T?)"/>
    public static string? Updated(this ISentNulls body, string field, string? sent, string? current) =>
        sent ?? (body.SentNull.Contains(field) ? null : current);
}
