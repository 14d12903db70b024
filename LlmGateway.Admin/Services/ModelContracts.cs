using System.Text.Json.Serialization;

namespace LlmGateway.Admin.Services;

public sealed record ModelInfoList
{
    public List<ModelDeployment> Data { get; init; } = [];
}

/// <summary>One deployment of a model group, as <c>/model/info</c> shows it (secrets removed by the Api).</summary>
public sealed record ModelDeployment
{
    public string ModelName { get; init; } = "";
    public DeploymentParams? LitellmParams { get; init; }
    public DeploymentInfo? ModelInfo { get; init; }
}

public sealed record DeploymentParams
{
    public string? Model { get; init; }
    public string? ApiBase { get; init; }
    public string? ApiVersion { get; init; }
    public long? Rpm { get; init; }
    public long? Tpm { get; init; }
    public double? Weight { get; init; }
    public int? Order { get; init; }
}

public sealed record DeploymentInfo
{
    public string? Id { get; init; }
    public double? InputCostPerToken { get; init; }
    public double? OutputCostPerToken { get; init; }
    public long? MaxTokens { get; init; }
    public long? MaxInputTokens { get; init; }
    public string? Mode { get; init; }
    /// <summary>Live state when the Api reports it: healthy, cooled_down or unhealthy.</summary>
    public string? HealthStatus { get; init; }
    public double? LatencyMs { get; init; }
    public string? LastError { get; init; }
    public DateTimeOffset? CooldownUntil { get; init; }
    /// <summary>Added at run time (<c>/model/new</c>): the admin may edit and delete it; the config file's are read-only.</summary>
    public bool DbModel { get; init; }
    /// <summary>LiteLLM's <c>blocked</c>: kept but serving nothing.</summary>
    public bool Blocked { get; init; }
}

/// <summary>The answer of <c>GET /health</c>: a real probe of each deployment.</summary>
public sealed record HealthReport
{
    public List<HealthEndpoint> HealthyEndpoints { get; init; } = [];
    public List<HealthEndpoint> UnhealthyEndpoints { get; init; } = [];
    public int HealthyCount { get; init; }
    public int UnhealthyCount { get; init; }
}

public sealed record HealthEndpoint
{
    public string? Model { get; init; }
    public string? ApiBase { get; init; }
    public string? ModelId { get; init; }
    public string? Status { get; init; }
    public double? LatencyMs { get; init; }
    [JsonPropertyName("error")]
    public string? Error { get; init; }
}

/// <summary>The body of <c>/model/new</c>, <c>/model/update</c> and <c>/health/test_connection</c>; nulls are not sent (kept on update).</summary>
public sealed record ModelRequest(string? ModelName, ModelRequestParams LitellmParams, ModelRequestInfo ModelInfo);

public sealed record ModelRequestParams
{
    public string? Model { get; init; }
    public string? ApiBase { get; init; }
    /// <summary>Sent once; the Api stores it encrypted and never returns it.</summary>
    public string? ApiKey { get; init; }
    public string? ApiVersion { get; init; }
    public long? Rpm { get; init; }
    public long? Tpm { get; init; }
}

public sealed record ModelRequestInfo
{
    public string? Id { get; init; }
    public bool? Blocked { get; init; }
    public double? InputCostPerToken { get; init; }
    public double? OutputCostPerToken { get; init; }
}

/// <summary>The answer of <c>/health/test_connection</c>: <c>success</c> or <c>error</c>, the probe's latency or error.</summary>
public sealed record ConnectionTest
{
    public string Status { get; init; } = "";
    public ConnectionTestResult? Result { get; init; }
}

public sealed record ConnectionTestResult
{
    public double? LatencyMs { get; init; }
    public string? Error { get; init; }
}
