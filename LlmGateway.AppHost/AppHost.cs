using LlmGateway.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Resources: Postgres (database gatewaydb) and Redis, as containers, local processes or existing servers.
var infrastructure = builder.AddGatewayInfrastructure();

// Services
var masterKey = builder.AddParameter("master-key", new GenerateParameterDefault { MinLength = 40, Special = false }, secret: true, persist: true);

var api = builder.AddProject<Projects.LlmGateway_Api>("api")
    .WithReference(infrastructure.Database, "gatewaydb")
    .WithReference(infrastructure.Redis, "redis")
    .WaitFor(infrastructure.DatabaseServer)
    .WaitFor(infrastructure.RedisServer)
    .WithEnvironment("Gateway__MasterKey", masterKey)
    .WithEnvironment("Gateway__ConfigFile", Path.Combine(builder.AppHostDirectory, "gateway.yaml"))
    .WithHttpHealthCheck("/health/readiness");

// Apps
builder.AddProject<Projects.LlmGateway_Admin>("admin")
    .WithReference(api)
    .WaitFor(api)
    .WithEnvironment("Gateway__MasterKey", masterKey)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
