namespace LlmGateway.Api;

/// <summary>Process-wide readiness flags: the schema is migrated; the process is not draining for shutdown.</summary>
public sealed class GatewayReadiness
{
    public volatile bool SchemaReady;
    public volatile bool Draining;
    /// <summary>The deployments stored in the database are loaded (true when <c>store_model_in_db</c> is off).</summary>
    public volatile bool ModelsLoaded = true;
}
