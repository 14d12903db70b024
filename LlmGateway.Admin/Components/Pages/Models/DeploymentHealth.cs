using LlmGateway.Admin.Services;
using MudBlazor;

namespace LlmGateway.Admin.Components.Pages.Models;

/// <summary>A deployment's state: from the last health check when there was one, else what <c>/model/info</c> reports.</summary>
public sealed record DeploymentHealth(string Label, Color Color, double? LatencyMs, string? Error)
{
    public static DeploymentHealth Of(ModelDeployment deployment, HealthReport? report)
    {
        if (report is not null)
        {
            if (Find(report.UnhealthyEndpoints, deployment) is { } sick)
            {
                return sick.Status?.Contains("cool", StringComparison.OrdinalIgnoreCase) == true
                    ? new("cooled down", Color.Warning, sick.LatencyMs, sick.Error)
                    : new("unhealthy", Color.Error, sick.LatencyMs, sick.Error);
            }

            if (Find(report.HealthyEndpoints, deployment) is { } well)
            {
                return new("healthy", Color.Success, well.LatencyMs, null);
            }
        }

        var info = deployment.ModelInfo;
        return info?.HealthStatus?.ToLowerInvariant() switch
        {
            "healthy" => new("healthy", Color.Success, info.LatencyMs, info.LastError),
            "cooled_down" or "cooldown" or "cooled down" => new($"cooled down{Until(info.CooldownUntil)}", Color.Warning, info.LatencyMs, info.LastError),
            "unhealthy" => new("unhealthy", Color.Error, info.LatencyMs, info.LastError),
            _ => new("not checked", Color.Default, info?.LatencyMs, info?.LastError),
        };
    }

    private static string Until(DateTimeOffset? until) => until is null ? "" : $" until {until.Value.ToUniversalTime():HH:mm:ss} UTC";

    private static HealthEndpoint? Find(List<HealthEndpoint> endpoints, ModelDeployment deployment)
    {
        var id = deployment.ModelInfo?.Id;
        return endpoints.FirstOrDefault(e => id is not null && e.ModelId == id)
            ?? endpoints.FirstOrDefault(e => e.ModelId is null && e.Model == deployment.LitellmParams?.Model
                && (e.ApiBase is null || e.ApiBase == deployment.LitellmParams?.ApiBase));
    }
}
