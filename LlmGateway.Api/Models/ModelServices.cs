using LlmGateway.Api.Configuration;
using Microsoft.Extensions.Options;

namespace LlmGateway.Api.Models;

public static class ModelServices
{
    /// <summary>Deployments kept in the database (<c>store_model_in_db</c>): their secrets' key, the loader, the listener.</summary>
    public static IHostApplicationBuilder AddStoredModels(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ModelsOptions>().BindConfiguration("Gateway:Models");
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<ModelsOptions>>().Value);
        builder.Services.AddSingleton(sp => SecretsFrom(builder.Configuration, sp.GetRequiredService<GatewayConfig>()));
        Replication.ReplicatedTables.Register(builder.Services);
        builder.Services.AddSingleton<StoredModels>();
        builder.Services.AddHostedService<ModelChangeListener>();
        return builder;
    }

    /// <summary><c>Gateway:ModelSecretsKey</c>, else <c>LITELLM_SALT_KEY</c> (LiteLLM's name), else the master key.</summary>
    private static ModelSecrets SecretsFrom(IConfiguration configuration, GatewayConfig config) =>
        configuration["Gateway:ModelSecretsKey"] is { Length: > 0 } key ? new ModelSecrets(key, "Gateway:ModelSecretsKey")
        : Environment.GetEnvironmentVariable("LITELLM_SALT_KEY") is { Length: > 0 } salt ? new ModelSecrets(salt, "LITELLM_SALT_KEY")
        : new ModelSecrets(config.MasterKey, ModelSecrets.MasterKeySource);
}
