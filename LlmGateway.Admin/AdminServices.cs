using LlmGateway.Admin.Services;
using MudBlazor.Services;

namespace LlmGateway.Admin;

public static class AdminServices
{
    public static IHostApplicationBuilder AddAdminServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddOptions<GatewayAdminOptions>().BindConfiguration(GatewayAdminOptions.Section);
        builder.Services.AddHttpClient<GatewayAdminClient>((services, client) =>
        {
            var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<GatewayAdminOptions>>().Value;
            client.BaseAddress = new Uri(options.ApiBaseAddress);
        });
        return builder;
    }
}
