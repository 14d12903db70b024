using System.Security.Claims;

namespace LlmGateway.Admin.Auth;

/// <summary>
/// Who single sign-on lets in: a member of an allowed group, or the owner of an allowed e-mail address that the identity
/// provider says it verified (<c>email_verified</c>). Everyone else is refused, and single sign-on with neither list configured
/// does not start.
/// </summary>
public static class OidcAdmission
{
    private static readonly string[] EmailClaims = ["email", ClaimTypes.Email];

    /// <summary>Why <paramref name="principal"/> is refused, or null when it is an admin.</summary>
    public static string? Refusal(ClaimsPrincipal? principal, AdminAuthOptions.OidcOptions options)
    {
        if (principal is null)
        {
            return "The identity provider sent no identity.";
        }

        var groups = principal.FindAll(options.GroupsClaim).Select(c => c.Value);
        if (groups.Any(group => options.AllowedGroups.Contains(group, StringComparer.OrdinalIgnoreCase)))
        {
            return null;
        }

        var email = EmailClaims.Select(principal.FindFirstValue).FirstOrDefault(value => !string.IsNullOrEmpty(value));
        if (email is null || !options.AllowedEmails.Contains(email, StringComparer.OrdinalIgnoreCase))
        {
            return $"{email ?? "This account"} is not an admin of this gateway.";
        }

        return bool.TryParse(principal.FindFirstValue("email_verified"), out var verified) && verified
            ? null
            : $"{email} is not verified by the identity provider (email_verified), so it cannot sign in by its address.";
    }

    /// <summary>Start-up check: single sign-on that would let in everyone the provider authenticates is a configuration error.</summary>
    public static void RequireAllowList(AdminAuthOptions.OidcOptions options)
    {
        if (options.Enabled && options.AllowedEmails.Count == 0 && options.AllowedGroups.Count == 0)
        {
            throw new InvalidOperationException(
                "Admin:Oidc:Authority is set but neither Admin:Oidc:AllowedEmails nor Admin:Oidc:AllowedGroups is: single sign-on " +
                "would make everyone the identity provider knows an admin. List the admins' e-mail addresses or groups.");
        }
    }
}
