namespace LlmGateway.Api.Configuration;

/// <summary>
/// <c>general_settings</c>. <see cref="DatabaseUrl"/> is accepted, but the Aspire <c>gatewaydb</c>
/// connection string wins when present.
/// </summary>
public sealed class GeneralSettings
{
    /// <summary>Secret: never log it. See <see cref="GatewayConfig.MasterKey"/> for the resolved value.</summary>
    public string? MasterKey { get; init; }
    /// <summary>Secret (may hold a password): never log it.</summary>
    public string? DatabaseUrl { get; init; }
    /// <summary>Alert channels, e.g. <c>slack</c>.</summary>
    public IReadOnlyList<string> Alerting { get; init; } = [];
    public IReadOnlyList<string> AlertTypes { get; init; } = [];
    /// <summary>Slow-request threshold in seconds.</summary>
    public double? AlertingThreshold { get; init; }
    /// <summary>Seconds between background health checks of each deployment.</summary>
    public int? HealthCheckInterval { get; init; }
    /// <summary>LiteLLM's <c>store_model_in_db</c>: deployments may be added at run time (<c>/model/new</c>); see <see cref="GatewayConfig.StoreModelInDb"/>.</summary>
    public bool? StoreModelInDb { get; init; }

    public override string ToString() => $"general settings ({Alerting.Count} alert channels)";
}
