using LlmGateway.Api.ContentLogs;

// In the Api's root namespace, like AddGatewayServices, so the composition root needs no extra using.
namespace LlmGateway.Api;

public static class ContentLogServices
{
    /// <summary>Opt-in content logging (<c>log_content: true</c> on a key or team), its retention job and capture filter.</summary>
    public static IHostApplicationBuilder AddContentLogs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ContentLogOptions>().BindConfiguration("Gateway")
            .Validate(o => o.ContentLogRetention > TimeSpan.Zero && o.ContentLogSweepInterval > TimeSpan.Zero && o.MaxContentBytes > 0,
                "Gateway:ContentLogRetention, Gateway:ContentLogSweepInterval and Gateway:MaxContentBytes must be positive")
            .ValidateOnStart();
        builder.Services.AddSingleton<ContentCapture>();
        builder.Services.AddHostedService<ContentLogRetention>();
        return builder;
    }
}
