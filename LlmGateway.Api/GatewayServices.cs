using LlmGateway.Api.Tags;
using LlmGateway.Api.Auth;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Data;
using LlmGateway.Api.Keys;
using LlmGateway.Api.Limits;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Providers;
using LlmGateway.Api.Proxy;
using LlmGateway.Api.Spend;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LlmGateway.Api;

public static class GatewayServices
{
    /// <summary>Everything the Api needs besides the service defaults: stores, configuration, the proxy pipeline.</summary>
    public static IHostApplicationBuilder AddGatewayServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDbContext<GatewayDbContext>("gatewaydb",
            configureDbContextOptions: options => options.UseSnakeCaseNamingConvention());
        builder.AddRedisClient("redis",
            // Per-command Redis spans cost more CPU and memory than the commands themselves on the hot path
            // (a profiling session per command); opt in with Aspire:StackExchange:Redis:DisableTracing=false.
            configureSettings: settings => settings.DisableTracing = builder.Configuration.GetValue("Aspire:StackExchange:Redis:DisableTracing", true),
            configureOptions: options =>
        {
            // Never let a Redis outage block start-up or a request for long (ARCHITECTURE 2.5).
            options.AbortOnConnectFail = false;
            options.ConnectTimeout = 2000;
            options.AsyncTimeout = 1000;
            options.SyncTimeout = 1000;
            // While disconnected, fail at once instead of queueing: the limits fall back to per-replica counting.
            options.BacklogPolicy = StackExchange.Redis.BacklogPolicy.FailFast;
            // The .NET thread pool rather than a dedicated, spinning scheduler: on 2 cores the spinning ate a third of the CPU.
            options.SocketManager = StackExchange.Redis.SocketManager.ThreadPool;
        });

        // The OpenAI, Anthropic and LiteLLM wire formats are all snake_case.
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            // The management API's update bodies tell a field sent as null (LiteLLM: remove it) from one left out (keep it).
            options.SerializerOptions.TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.WithAddedModifier(
                options.SerializerOptions.TypeInfoResolver ?? new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
                Management.SentNulls.Track);
        });
        builder.Services.AddSingleton<GatewayReadiness>();
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddExceptionHandler<Contracts.BadRequestExceptionHandler>();
        builder.Services.AddProblemDetails();
        builder.Services.AddHostedService<DatabaseMigrator>();

        builder.AddGatewayConfiguration();
        Models.ModelServices.AddStoredModels(builder);
        builder.AddProxyCore();
        builder.Services.AddScoped<Management.ManagementServices>();
        Endpoints.ApiDocsApi.AddApiDocs(builder.Services);
        builder.AddSpendLedger();
        builder.AddTags();
        builder.AddStoredResponses();
        builder.AddBudgetAlerts();
        Customers.CustomerServices.AddCustomers(builder);
        builder.AddGatewayTelemetry();
        return builder;
    }

    /// <summary>The request path: keys and auth, limits and prices, providers, routing and failover, the cache.</summary>
    private static void AddProxyCore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ProxyOptions>().BindConfiguration("Gateway");
        builder.Services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ProxyOptions>>().Value);
        builder.Services.AddSingleton<BodyReadGate>();
        builder.Services.AddOptions<KeyCacheOptions>().BindConfiguration("Gateway:Keys");
        builder.Services.AddSingleton(sp => new KeyCache(sp.GetRequiredService<IServiceScopeFactory>(),
            sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(), sp.GetRequiredService<ILogger<KeyCache>>(),
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<KeyCacheOptions>>().Value));
        builder.Services.AddOptions<AuthOptions>().BindConfiguration("Gateway:Auth");
        builder.Services.AddSingleton(sp => new AuthFailures(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>().Value));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KeyCache>());
        builder.Services.AddSingleton<GatewayAuthenticator>();
        builder.Services.AddOptions<LimitsOptions>().BindConfiguration("Gateway:Limits");
        builder.Services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<LimitsOptions>>().Value);
        builder.Services.AddSingleton<LocalLimits>();
        builder.Services.AddSingleton<OutageReplay>();
        builder.Services.AddSingleton<ReplicaCount>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReplicaCount>());
        builder.Services.AddSingleton(sp =>
        {
            var limits = sp.GetRequiredService<LimitsOptions>();
            return new ScriptBatcher(sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(), Math.Max(1, limits.BatchesInFlight), limits.SettleLinger);
        });
        builder.Services.AddSingleton<LedgerSeeder>();
        builder.Services.AddSingleton<ScopeCounters>();
        builder.Services.AddSingleton<LimitsGate>();
        builder.Services.AddHostedService<LimitsWarmUp>();
        builder.Services.AddSingleton<PriceTable>();
        builder.Services.AddSingleton<CostEstimator>();
        builder.Services.AddOptions<PricingOptions>().BindConfiguration("Gateway:Pricing")
            .Validate(PricingOptions.IsValid, "Gateway:Pricing:UnknownPrice must be 'refuse' or 'allow'.")
            .Validate(o => o.HostedToolCallCeiling >= 0, "Gateway:Pricing:HostedToolCallCeiling must not be negative.").ValidateOnStart();
        builder.Services.AddSingleton<UnknownPricePolicy>();
        PromptTokens.ConfigureChunkCache(builder.Configuration.GetValue("Gateway:Pricing:PromptTokenCacheEntries", PromptTokens.DefaultChunkCacheEntries));
        builder.Services.AddHostedService<UnknownPriceWarning>();
        builder.Services.TryAddSingleton<IUsageRecorder, LoggingUsageRecorder>();
        builder.Services.AddSingleton<UpstreamClients>();
        builder.Services.AddSingleton<UpstreamSender>();
        builder.Services.AddSingleton<ProviderRegistry>();
        builder.Services.AddOptions<Providers.Anthropic.AnthropicOptions>().BindConfiguration("Gateway:Anthropic");
        builder.Services.AddOptions<ClientApis.Completions.CompletionsOptions>().BindConfiguration("Gateway:Completions");
        builder.Services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ClientApis.Completions.CompletionsOptions>>().Value);
        builder.Services.AddSingleton(sp => new Providers.Anthropic.AnthropicBetas(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Providers.Anthropic.AnthropicOptions>>().Value));
        builder.AddGatewayRouting();
        builder.Services.AddSingleton<Routing.UpstreamAttempts>();
        builder.Services.AddSingleton<Routing.Failover>();
        builder.AddResponseCache();
        builder.Services.AddSingleton<ProxyServices>();
        builder.Services.AddSingleton<TokenCounter>();
    }
}
