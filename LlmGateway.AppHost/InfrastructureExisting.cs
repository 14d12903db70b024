namespace LlmGateway.AppHost;

internal static class InfrastructureExisting
{
    /// <summary>Servers that already run, given as <c>ConnectionStrings:gatewaydb</c> and <c>ConnectionStrings:redis</c>.</summary>
    public static GatewayInfrastructure AddExistingInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var database = builder.AddConnectionString("gatewaydb");
        var redis = builder.AddConnectionString("redis");
        return new GatewayInfrastructure(database, redis, database, redis, InfrastructureMode.Existing);
    }
}
