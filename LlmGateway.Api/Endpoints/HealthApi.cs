using System.Reflection;
using LlmGateway.Api.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;

namespace LlmGateway.Api.Endpoints;

/// <summary>LiteLLM's public probes: <c>/health/liveliness</c> and <c>/health/readiness</c>.</summary>
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
        return app;
    }

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

        var ready = dbOk && redisOk && readiness.SchemaReady && !readiness.Draining;
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
