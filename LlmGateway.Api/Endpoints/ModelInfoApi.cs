using System.Text.Json.Serialization;
using LlmGateway.Api.Auth;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Routing;

namespace LlmGateway.Api.Endpoints;

/// <summary>LiteLLM's <c>GET /model/info</c> (master key): every deployment, its public parameters, prices and live health. Never a secret.</summary>
public static class ModelInfoApi
{
    public static IEndpointRouteBuilder MapModelInfoApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/model/info", GetModelInfo)
            .WithName("ModelInfo").WithSummary("Every deployment with its public litellm_params, model_info and health (no api_key).");
        app.MapGet("/v1/model/info", GetModelInfo).ExcludeFromDescription();
        // LiteLLM's v2 adds filters; the deployments (config file and database alike) are the same list.
        app.MapGet("/v2/model/info", GetModelInfo).WithName("ModelInfoV2").WithSummary("The same as /model/info (LiteLLM's v2 path).");
        return app;
    }

    public sealed record ModelInfoResponse(IReadOnlyList<ModelEntry> Data);

    public sealed record ModelEntry(string ModelName, PublicParams LitellmParams, ModelInfoEntry ModelInfo);

    /// <summary><c>litellm_params</c> without <c>api_key</c>.</summary>
    public sealed record PublicParams(
        string Model, string? ApiBase, string? ApiVersion, int? MaxTokens, double? Timeout, double? TtfbTimeout,
        int? Rpm, int? Tpm, double? Weight, int? Order, bool NoRetryWhenPossiblyBilled);

    /// <summary><c>db_model</c>: added with <c>/model/new</c> (LiteLLM's flag). Prices as configured (<c>price_unknown</c>: neither configured nor built in); cache rates null when <c>model_info</c> gives none (the built-in defaults then apply).</summary>
    public sealed record ModelInfoEntry(
        string Id, decimal? InputCostPerToken, decimal? OutputCostPerToken, int? MaxTokens, int? MaxInputTokens, int? MaxOutputTokens,
        string Mode, bool? SupportsVision, bool? SupportsFunctionCalling, DeploymentHealth Health,
        decimal? CacheReadInputTokenCost, decimal? CacheCreationInputTokenCost,
        [property: JsonPropertyName("cache_creation_input_token_cost_above_1hr")] decimal? CacheCreationInputTokenCostAbove1Hr,
        bool PriceUnknown, bool DbModel, IReadOnlyList<string> AccessGroups, bool Blocked,
        decimal? InputCostPerAudioToken, decimal? OutputCostPerAudioToken);

    /// <summary><c>state</c> is healthy, cooled_down or unhealthy; <c>latency_ms</c> is this replica's moving average.</summary>
    public sealed record DeploymentHealth(string State, DateTimeOffset? CooledDownUntil, string? LastError, double? LatencyMs);

    private static async Task<IResult> GetModelInfo(
        HttpContext http, GatewayAuthenticator auth, ModelCatalog catalog, DeploymentStateStore store, DeploymentStats stats,
        Pricing.UnknownPricePolicy prices)
    {
        if (await auth.RequireMasterAsync(http.Request, http.RequestAborted) is { } error)
        {
            await ErrorWriter.WriteAsync(http, error, ClientFormat.OpenAi);
            return TypedResults.Empty;
        }

        var deployments = catalog.Groups.SelectMany(g => g.Deployments).Concat(catalog.Deployments.Where(d => d.ModelInfo.Blocked)).ToArray();
        var states = await store.ReadAsync([.. deployments.Select(d => d.Id)], fresh: true);
        var now = store.Now;
        var data = deployments.Select(d =>
        {
            var state = states.GetValueOrDefault(d.Id, DeploymentState.Fresh);
            var info = d.ModelInfo;
            return new ModelEntry(d.ModelName,
                new PublicParams(DeploymentRouter.ProviderName(d), d.ApiBase?.ToString(), d.ApiVersion, d.MaxTokens, d.Timeout?.TotalSeconds,
                    d.FirstByteTimeout?.TotalSeconds, d.Rpm, d.Tpm, d.Weight, d.Order, d.NoRetryWhenPossiblyBilled),
                new ModelInfoEntry(d.Id, info.InputCostPerToken, info.OutputCostPerToken, info.MaxTokens ?? d.MaxTokens, info.MaxInputTokens,
                    info.MaxOutputTokens, info.Mode ?? "chat", info.SupportsVision, info.SupportsFunctionCalling,
                    new DeploymentHealth(state.Describe(now), state.IsCoolingDown(now) ? state.CooldownUntil : null, state.LastError,
                        stats.LatencyMs(d.Id) is { } ms ? Math.Round(ms, 1) : null),
                    info.CacheReadInputTokenCost, info.CacheCreationInputTokenCost, info.CacheCreationInputTokenCostAbove1Hr, prices.IsUnpriced(d), d.StoredInDatabase,
                    info.AccessGroups, info.Blocked, info.InputCostPerAudioToken, info.OutputCostPerAudioToken));
        }).ToArray();
        return TypedResults.Ok(new ModelInfoResponse(data));
    }
}
