using LlmGateway.AppHost;

var builder = DistributedApplication.CreateBuilder(args);

// Resources: Postgres (database gatewaydb) and Redis, as containers, local processes or existing servers.
var infrastructure = builder.AddGatewayInfrastructure();

// Services
var masterKey = builder.AddParameter("master-key", new GenerateParameterDefault { MinLength = 40, Special = false }, secret: true, persist: true);

// Real providers when a key is set; otherwise the blueprint's model names served by the built-in mock.
var providerKeys = new[] { "ANTHROPIC_API_KEY", "OPENAI_API_KEY" }
    .Where(name => !string.IsNullOrEmpty(builder.Configuration[name]))
    .ToList();
var configFile = Path.Combine(builder.AppHostDirectory, providerKeys.Count > 0 ? "gateway.yaml" : "gateway.demo.yaml");

var api = builder.AddProject<Projects.LlmGateway_Api>("api")
    .WithReference(infrastructure.Database, "gatewaydb")
    .WithReference(infrastructure.Redis, "redis")
    .WaitFor(infrastructure.DatabaseServer)
    .WaitFor(infrastructure.RedisServer)
    .WithEnvironment("Gateway__MasterKey", masterKey)
    .WithEnvironment("Gateway__ConfigFile", configFile)
    .WithHttpHealthCheck("/health/readiness");
foreach (var name in providerKeys)
{
    api.WithEnvironment(name, builder.AddParameter(name.ToLowerInvariant().Replace('_', '-'), builder.Configuration[name]!, secret: true));
}

// Apps
builder.AddProject<Projects.LlmGateway_Admin>("admin")
    .WithReference(api)
    .WaitFor(api)
    .WithEnvironment("Gateway__MasterKey", masterKey)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
