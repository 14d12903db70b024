using LlmGateway.Api.StoredResponses;

// In the Api's root namespace, like AddGatewayServices, so the composition root needs no extra using.
namespace LlmGateway.Api;

public static class StoredResponseServices
{
    /// <summary>The Responses API's stored state (<c>previous_response_id</c>, <c>GET /v1/responses/{id}</c>) and its retention job.</summary>
    public static IHostApplicationBuilder AddStoredResponses(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StoredResponseOptions>().BindConfiguration("Gateway:Responses")
            .Validate(o => o.Retention > TimeSpan.Zero && o.SweepInterval > TimeSpan.Zero && o.Timeout > TimeSpan.Zero,
                "Gateway:Responses:Retention, SweepInterval and Timeout must be positive")
            .ValidateOnStart();
        builder.Services.AddSingleton<ResponseStore>();
        builder.Services.AddHostedService<ResponseRetention>();
        return builder;
    }
}
