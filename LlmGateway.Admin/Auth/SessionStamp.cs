using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using LlmGateway.Admin.Services;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace LlmGateway.Admin.Auth;

/// <summary>
/// A session remembers a hash of the secret it signed in with (inside the encrypted cookie); once the master key or the
/// admin password changes, sessions signed in with the old one end: on the next request, and in an open page within
/// <see cref="AdminAuthOptions.SessionRevalidationInterval"/>.
/// </summary>
public sealed class SessionStamp(IOptionsMonitor<GatewayAdminOptions> gateway, IOptionsMonitor<AdminAuthOptions> admin)
{
    public const string ClaimType = "llmgw:credential-stamp";

    /// <summary>The stamp of the secret currently configured for <paramref name="method"/>; null for methods that have none (single sign-on).</summary>
    public string? Current(string? method) => method switch
    {
        AdminCredentials.MasterKeyMethod => Of(method, gateway.CurrentValue.MasterKey),
        AdminCredentials.PasswordMethod => Of(method, admin.CurrentValue.Password),
        _ => null,
    };

    /// <summary>True unless the session signed in with a secret that is no longer the configured one.</summary>
    public bool IsValid(ClaimsPrincipal? principal)
    {
        if (principal?.Identity?.IsAuthenticated != true)
        {
            return false;
        }

        var method = principal.FindFirstValue(ClaimTypes.AuthenticationMethod);
        if (method is not (AdminCredentials.MasterKeyMethod or AdminCredentials.PasswordMethod))
        {
            return true; // single sign-on: the identity provider's session and the allow-list decide
        }

        var expected = Current(method);
        var stamp = principal.FindFirstValue(ClaimType);
        return expected is not null && stamp is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stamp), Encoding.ASCII.GetBytes(expected));
    }

    /// <summary>The cookie handler's check on every request: a stale session is signed out and sent to sign in again.</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var stamps = context.HttpContext.RequestServices.GetRequiredService<SessionStamp>();
        if (!stamps.IsValid(context.Principal))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    private static string? Of(string method, string? secret) => string.IsNullOrEmpty(secret)
        ? null
        : Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"llmgateway-admin-session:{method}:{secret}")), 0, 18);
}
