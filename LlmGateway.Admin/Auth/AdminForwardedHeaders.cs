using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace LlmGateway.Admin.Auth;

/// <summary>
/// TLS ends at the ingress: trust its <c>X-Forwarded-Proto</c>/<c>-For</c> so the request is seen as https (the session
/// cookie then gets <c>Secure</c>) and sign-in limits count the client's address, not the proxy's.
/// </summary>
public static class AdminForwardedHeaders
{
    public static IHostApplicationBuilder AddAdminForwardedHeaders(this IHostApplicationBuilder builder, AdminAuthOptions.ForwardedHeadersOptions trusted)
    {
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            if (trusted.KnownProxies.Count == 0 && trusted.KnownNetworks.Count == 0)
            {
                return; // ASP.NET Core's default: loopback only (or anyone, when ASPNETCORE_FORWARDEDHEADERS_ENABLED is set)
            }

            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in trusted.KnownProxies)
            {
                options.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in trusted.KnownNetworks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return builder;
    }
}
