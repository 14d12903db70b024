namespace LlmGateway.Api;

/// <summary>Process-wide readiness flags: the schema is migrated; the process is not draining for shutdown.</summary>
public sealed class GatewayReadiness
{
    public volatile bool SchemaReady;
    public volatile bool Draining;
}
