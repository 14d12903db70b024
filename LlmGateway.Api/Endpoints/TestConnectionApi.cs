using System.Text.Json.Nodes;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Data;
using LlmGateway.Api.Health;
using LlmGateway.Api.Management;
using LlmGateway.Api.Models;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Endpoints;

/// <summary>
/// LiteLLM's <c>POST /health/test_connection</c> (master key): one health-check probe of a deployment that is not saved
/// yet — a chat "ping" with <c>max_tokens: 1</c> (or a one-word embedding), the request a serving deployment must answer,
/// so the key, the base URL and the model id are all checked (a models list would pass with a wrong model id).
/// Nothing is stored and no health state is written. With <c>model_info.id</c> of a stored deployment, the secrets
/// not sent are taken from it (the admin's edit form never shows them).
/// </summary>
public static class TestConnectionApi
{
    public static IEndpointRouteBuilder MapTestConnectionApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/health").WithTags("Models").RequireMasterKey()
            .MapPost("/test_connection", TestAsync).WithName("TestConnection")
            .WithSummary("Probe a deployment before saving it (litellm_params, mode, model_info.id); never stored.");
        return app;
    }

    /// <summary>LiteLLM's answer: <c>status</c> success or error; <c>result</c> the latency or the error.</summary>
    public sealed record TestConnectionResponse(string Status, TestConnectionResult Result);

    public sealed record TestConnectionResult(double LatencyMs, string? Error);

    private static async Task<IResult> TestAsync(JsonObject? body, HttpContext context, GatewayDbContext db, DeploymentProber prober,
        ModelSecrets secrets)
    {
        if (ModelRequest.TryRead(body, out var error) is not { } request)
        {
            return ManagementServices.Error(error!);
        }

        var litellmParams = request.LitellmParams?.DeepClone().AsObject();
        if (request.Id is { } id && litellmParams is not null && secrets.HasKey
            && await db.ProxyModels.AsNoTracking().FirstOrDefaultAsync(m => m.ModelId == id, context.RequestAborted) is { } stored)
        {
            foreach (var (name, value) in secrets.Open(stored.EncryptedSecrets).Where(p => !litellmParams.ContainsKey(p.Key) || IsBlank(litellmParams[p.Key])))
            {
                litellmParams[name] = value?.DeepClone();
            }
        }

        var info = new JsonObject { ["mode"] = body?["mode"]?.DeepClone() ?? request.ModelInfo?["mode"]?.DeepClone() };
        request = new ModelRequest(request.ModelName ?? "test-connection", litellmParams, info);
        if (request.Validate(0) is { } invalid)
        {
            return ManagementServices.Error(invalid);
        }

        var deployment = JsonDeployment.Read(0, request.ModelName!, litellmParams!, info, Environment.GetEnvironmentVariable, out _);
        var result = await prober.TestAsync(deployment, context.RequestAborted);
        return TypedResults.Ok(new TestConnectionResponse(result.Healthy ? "success" : "error",
            new TestConnectionResult(Math.Round(result.Latency.TotalMilliseconds, 1), result.Error)));
    }

    private static bool IsBlank(JsonNode? node) => node is null || (node is JsonValue v && v.TryGetValue(out string? text) && text.Length == 0);
}
