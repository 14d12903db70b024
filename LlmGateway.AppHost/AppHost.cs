using LlmGateway.AppHost;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

// Resources: Postgres (database gatewaydb) and Redis, as containers, local processes or existing servers.
var infrastructure = builder.AddGatewayInfrastructure();

// Secrets: Aspire secret parameters (user secrets locally; azd prompts for them and keeps them out of files).
var masterKey = builder.AddParameter("master-key", new GenerateParameterDefault { MinLength = 40, Special = false }, secret: true, persist: true);
var config = GatewayConfigSource.Choose(builder, GatewaySecrets.KnownProviderKeys);

// Services
var api = builder.AddProject<Projects.LlmGateway_Api>("api")
    .WithReference(infrastructure.Database, "gatewaydb")
    .WithReference(infrastructure.Redis, "redis")
    .WaitFor(infrastructure.DatabaseServer)
    .WaitFor(infrastructure.RedisServer)
    .WithEnvironment("Gateway__MasterKey", masterKey)
    .WithGatewayConfig(config)
    .WithProviderKeys(config)
    .WithModelSecretsKey()
    .WithReplicas(builder.Configuration.GetValue("Api:Replicas", 1))
    .WithExternalHttpEndpoints()
    .WithGatewayProbes()
    .WithForwardedHeadersWhenPublished();

// Apps: the admin shares Redis for its data-protection keys, so its sessions survive restarts and span replicas.
var admin = builder.AddProject<Projects.LlmGateway_Admin>("admin")
    .WithReference(api)
    .WaitFor(api)
    .WithReference(infrastructure.Redis, "redis")
    .WaitFor(infrastructure.RedisServer)
    .WithEnvironment("Gateway__MasterKey", masterKey)
    .WithAdminPassword()
    .WithAdminKeyRingSecret()
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health")
    .WithForwardedHeadersWhenPublished()
    .WithFirstRunHint();

builder.Build().Run();
