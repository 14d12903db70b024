using LlmGateway.Admin.Services;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace LlmGateway.Admin;

public static class AdminServices
{
    public static IHostApplicationBuilder AddAdminServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddOptions<GatewayAdminOptions>().BindConfiguration(GatewayAdminOptions.Section);
#pragma warning disable EXTEXP0001 // the only way to replace the service defaults' handler for one client
        builder.Services.AddHttpClient<GatewayAdminClient>((services, client) =>
            {
                client.BaseAddress = new Uri(services.GetRequiredService<IOptions<GatewayAdminOptions>>().Value.ApiBaseAddress);
            })
            // A retried POST could create a second team or key: retry reads only.
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(resilience => resilience.Retry.DisableForUnsafeHttpMethods());
#pragma warning restore EXTEXP0001
        return builder;
    }
}
