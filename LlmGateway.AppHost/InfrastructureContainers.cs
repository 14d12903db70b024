namespace LlmGateway.AppHost;

internal static class InfrastructureContainers
{
    /// <summary>Postgres and Redis containers with data volumes: the usual Aspire way, and what a published manifest describes.</summary>
    public static GatewayInfrastructure AddContainerInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var postgres = builder.AddPostgres("postgres").WithDataVolume();
        var database = postgres.AddDatabase("gatewaydb");
        var redis = builder.AddRedis("redis").WithDataVolume();
        return new GatewayInfrastructure(database, redis, database, redis, InfrastructureMode.Containers);
    }
}
