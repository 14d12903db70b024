using LlmGateway.Api.Auth;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Data;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Proxy;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api;

public static class GatewayServices
{
    /// <summary>Everything the Api needs besides the service defaults: stores, configuration, the proxy pipeline.</summary>
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<GatewayDbContext>("gatewaydb",
            configureDbContextOptions: options => options.UseSnakeCaseNamingConvention());
        builder.AddRedisClient("redis", configureOptions: options =>
        {
            // Never let a Redis outage block start-up or a request for long (ARCHITECTURE 2.5).
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 2000;
            options.AsyncTimeout = 1000;
            options.SyncTimeout = 1000;
        });

        // The OpenAI, Anthropic and LiteLLM wire formats are all snake_case.
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddSingleton<GatewayReadiness>();
        builder.Services.AddHostedService<DatabaseMigrator>();

        builder.AddGatewayConfiguration();
        builder.Services.AddOptions<ProxyOptions>().BindConfiguration("Gateway");
        builder.Services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ProxyOptions>>().Value);
        builder.Services.AddSingleton<GatewayAuthenticator>();
        builder.Services.AddSingleton<UpstreamClients>();
        builder.Services.AddSingleton<UpstreamSender>();
        builder.Services.AddSingleton<ProviderRegistry>();
        builder.Services.AddSingleton<ChatProxy>();
        builder.Services.AddSingleton<ProxyServices>();
        builder.AddSpendLedger();
        return builder;
    }
}
