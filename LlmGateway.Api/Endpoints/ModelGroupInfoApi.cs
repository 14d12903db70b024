using LlmGateway.Api.Auth;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// LiteLLM's <c>GET /model_group/info</c>: one entry per model group — its providers, the tightest context and output
/// limits and the prices of its first priced deployment. Any key: a virtual key sees the groups it may use.
/// </summary>
public static class ModelGroupInfoApi
{
    public static IEndpointRouteBuilder MapModelGroupInfoApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/model_group/info", GetAsync).WithTags("Models").WithName("ModelGroupInfo")
            .WithSummary("Model groups the caller may use: providers, token limits, prices, rpm/tpm, mode (model_group= for one).");
        return app;
    }

    public sealed record ModelGroupInfoResponse(IReadOnlyList<ModelGroupEntry> Data);

    public sealed record ModelGroupEntry(
        string ModelGroup, IReadOnlyList<string> Providers, int? MaxInputTokens, int? MaxOutputTokens,
        decimal? InputCostPerToken, decimal? OutputCostPerToken, string Mode, int? Tpm, int? Rpm,
        bool SupportsVision, bool SupportsFunctionCalling, int Deployments, IReadOnlyList<string> AccessGroups);

    private static async Task<IResult> GetAsync(HttpContext context, string? model_group, GatewayAuthenticator auth, ModelCatalog catalog)
    {
        var (caller, error) = await auth.AuthenticateAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            await ErrorWriter.WriteAsync(context, error, ClientFormat.OpenAi);
            return TypedResults.Empty;
        }

        var groups = catalog.Groups
            .Where(g => caller!.Key?.MayUse(g.Name, g.AccessGroups) ?? true)
            .Where(g => string.IsNullOrEmpty(model_group) || g.Name == model_group)
            .Select(ToEntry)
            .ToList();
        return TypedResults.Ok(new ModelGroupInfoResponse(groups));
    }

    private static ModelGroupEntry ToEntry(ModelGroup group)
    {
        var deployments = group.Deployments;
        var priced = deployments.FirstOrDefault(d => d.ModelInfo.InputCostPerToken is not null || d.ModelInfo.OutputCostPerToken is not null);
        return new ModelGroupEntry(
            group.Name,
            [.. deployments.Select(d => ProviderRegistry.Name(d.Provider)).Distinct()],
            deployments.Select(d => d.ModelInfo.MaxInputTokens).Min(),
            deployments.Select(d => d.ModelInfo.MaxOutputTokens ?? d.ModelInfo.MaxTokens ?? d.MaxTokens).Min(),
            priced?.ModelInfo.InputCostPerToken,
            priced?.ModelInfo.OutputCostPerToken,
            deployments[0].ModelInfo.Mode ?? "chat",
            Sum(deployments.Select(d => d.Tpm)),
            Sum(deployments.Select(d => d.Rpm)),
            deployments.Any(d => d.ModelInfo.SupportsVision == true),
            deployments.Any(d => d.ModelInfo.SupportsFunctionCalling == true),
            deployments.Count,
            group.AccessGroups);
    }

    /// <summary>The group's capacity: the sum of its deployments' limits, or null when any deployment is unlimited.</summary>
    private static int? Sum(IEnumerable<int?> limits)
    {
        var total = 0;
        foreach (var limit in limits)
        {
            if (limit is not { } value)
            {
                return null;
            }

            total += value;
        }

        return total;
    }
}
