using System.Reflection;
using LlmGateway.Api.Auth;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Health;
using LlmGateway.Api.Routing;
using LlmGateway.Api.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Endpoints;

/// <summary>LiteLLM's public probes (<c>/health/liveliness</c>, <c>/health/readiness</c>) and its deployment health check (<c>/health</c>, master key).</summary>
public static class HealthApi
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly string Version =
        typeof(HealthApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/liveliness", () => TypedResults.Ok("I'm alive!"))
            .WithName("Liveliness").WithSummary("The process is up.").ExcludeFromDescription();
        app.MapGet("/health/readiness", GetReadiness)
            .WithName("Readiness").WithSummary("503 until Postgres and Redis answer and migrations are applied.");
        app.MapGet("/health", GetDeploymentHealth)
            .WithName("DeploymentHealth").WithSummary("Probes every deployment now (max_tokens: 1) and lists the healthy and unhealthy ones.");
        return app;
    }

    /// <summary>A deployment that answered the probe; <c>latency_ms</c> is how long the probe took (the gateway's addition).</summary>
    public sealed record HealthyEndpoint(string Model, string ModelName, string ModelId, string? ApiBase, double LatencyMs);

    public sealed record UnhealthyEndpoint(string Model, string ModelName, string ModelId, string? ApiBase, string Error, double LatencyMs);

    /// <param name="KeyRevocation">This replica's subscription to key changes: whether revocations reach it now (docs/security.md).</param>
    public sealed record DeploymentHealthResponse(
        IReadOnlyList<HealthyEndpoint> HealthyEndpoints, IReadOnlyList<UnhealthyEndpoint> UnhealthyEndpoints, int HealthyCount, int UnhealthyCount,
        Keys.KeyChangeSubscription.Status? KeyRevocation = null);

    private static async Task<IResult> GetDeploymentHealth(
        HttpContext http, GatewayAuthenticator auth, ModelCatalog catalog, DeploymentProber prober, Keys.KeyCache keys, CancellationToken ct)
    {
        if (await auth.RequireMasterAsync(http.Request, http.RequestAborted) is { } error)
        {
            await ErrorWriter.WriteAsync(http, error, ClientFormat.OpenAi);
            return TypedResults.Empty;
        }

        var results = await prober.ProbeAllAsync(catalog.Serving, ct);
        var healthy = results.Where(r => r.Healthy)
            .Select(r => new HealthyEndpoint(Model(r.Deployment), r.Deployment.ModelName, r.Deployment.Id, r.Deployment.ApiBase?.ToString(), Ms(r.Latency)))
            .ToArray();
        var unhealthy = results.Where(r => !r.Healthy)
            .Select(r => new UnhealthyEndpoint(Model(r.Deployment), r.Deployment.ModelName, r.Deployment.Id, r.Deployment.ApiBase?.ToString(), r.Error!, Ms(r.Latency)))
            .ToArray();
        return TypedResults.Ok(new DeploymentHealthResponse(healthy, unhealthy, healthy.Length, unhealthy.Length, keys.Subscription.State));
    }

    private static double Ms(TimeSpan latency) => Math.Round(latency.TotalMilliseconds, 1);

    /// <summary>The deployment's <c>litellm_params.model</c>: provider prefix and model id.</summary>
    internal static string Model(DeploymentConfig deployment) => DeploymentRouter.ProviderName(deployment);

    public sealed record ReadinessResponse(string Status, string Db, string Cache, string Version, DateTimeOffset LastUpdated);

    private static async Task<Results<Ok<ReadinessResponse>, JsonHttpResult<ReadinessResponse>>> GetReadiness(
        GatewayReadiness readiness, GatewayDbContext db, IConnectionMultiplexer redis, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ProbeTimeout);
        var dbTask = CanConnectAsync(db, timeout.Token);
        var redisTask = PingAsync(redis);
        var dbOk = await dbTask;
        var redisOk = await redisTask;

        var ready = dbOk && redisOk && readiness.SchemaReady && readiness.ModelsLoaded && !readiness.Draining;
        var body = new ReadinessResponse(
            ready ? "healthy" : readiness.Draining ? "draining" : "unhealthy",
            dbOk ? (readiness.SchemaReady ? "connected" : "migrating") : "Not connected",
            redisOk ? "redis" : "Not connected",
            Version,
            DateTimeOffset.UtcNow);
        return ready ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<bool> CanConnectAsync(GatewayDbContext db, CancellationToken ct)
    {
        try { return await db.Database.CanConnectAsync(ct); }
        catch (Exception) { return false; }
    }

    private static async Task<bool> PingAsync(IConnectionMultiplexer redis)
    {
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(ProbeTimeout);
            return true;
        }
        catch (Exception) { return false; }
    }
}
