using LlmGateway.Api.Caching;
using LlmGateway.Api.Configuration;

namespace LlmGateway.Api;

public static class CachingServices
{
    /// <summary>
    /// The response cache: <c>litellm_settings.cache</c>/<c>cache_params</c>, overridden by section <c>Gateway:Cache</c>.
    /// Call after <c>AddGatewayConfiguration</c>; an invalid setting fails here, at start-up, naming its path.
    /// </summary>
    public static IHostApplicationBuilder AddResponseCache(this IHostApplicationBuilder builder)
    {
        var config = builder.Services.LastOrDefault(d => d.ServiceType == typeof(GatewayConfig))?.ImplementationInstance as GatewayConfig
            ?? throw new InvalidOperationException("AddResponseCache needs AddGatewayConfiguration first.");
        var options = builder.Configuration.GetSection("Gateway:Cache").Get<ResponseCacheOptions>() ?? new ResponseCacheOptions();
        builder.Services.AddSingleton(CacheSettings.Resolve(config.LitellmSettings, options));
        builder.Services.AddSingleton<ResponseCache>();
        return builder;
    }
}
