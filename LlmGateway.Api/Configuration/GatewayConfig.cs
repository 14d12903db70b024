namespace LlmGateway.Api.Configuration;

/// <summary>The gateway's LiteLLM-format configuration after loading, validation and <c>os.environ/</c> resolution.</summary>
public sealed class GatewayConfig
{
    public IReadOnlyList<DeploymentConfig> Deployments { get; init; } = [];
    public LitellmSettings LitellmSettings { get; init; } = new();
    public RouterSettings RouterSettings { get; init; } = new();
    public GeneralSettings GeneralSettings { get; init; } = new();
    /// <summary><c>general_settings.master_key</c>, overridden by <c>Gateway:MasterKey</c> when set. Secret: never log it.</summary>
    public string? MasterKey { get; init; }
    /// <summary>
    /// <c>general_settings.store_model_in_db</c>, overridden by <c>Gateway:StoreModelInDb</c>, else LiteLLM's environment
    /// variable <c>STORE_MODEL_IN_DB</c>; default false. When true, <c>/model/new|update|delete</c> manage deployments in Postgres.
    /// </summary>
    public bool StoreModelInDb { get; init; }

    public override string ToString() => $"gateway config ({Deployments.Count} deployments)";
}
