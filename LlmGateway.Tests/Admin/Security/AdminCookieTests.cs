using System.Net;

namespace LlmGateway.Tests.Admin.Security;

/// <summary>Behind the TLS-terminating ingress (Azure Container Apps) the session cookie is still Secure, HttpOnly and SameSite.</summary>
public sealed class AdminCookieTests
{
    [Fact]
    public async Task BehindTheIngressTheSessionCookieIsSecureHttpOnlyAndSameSite()
    {
        await using var admin = await AdminHost.StartAsync();
        using var browser = admin.CreateBrowser();

        using var response = await browser.SignInAsync(AdminHost.MasterKey, decorate: ForwardedHttps);

        var session = SessionCookie(response);
        Assert.Contains("; secure", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; httponly", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; samesite=lax", session, StringComparison.OrdinalIgnoreCase);
        // The redirect after sign-in stays on https, as the browser sees the site.
        Assert.StartsWith("https://", response.Headers.Location!.IsAbsoluteUri ? response.Headers.Location.ToString() : "https://relative");
    }

    [Fact]
    public async Task AForwardedProtoFromAProxyThatIsNotTrustedIsIgnored()
    {
        await using var admin = await AdminHost.StartAsync(new Dictionary<string, string?>
        {
            ["Admin:ForwardedHeaders:KnownProxies:0"] = "10.9.9.9",
        });
        using var browser = admin.CreateBrowser();

        using var response = await browser.SignInAsync(AdminHost.MasterKey, decorate: ForwardedHttps);

        var session = SessionCookie(response);
        Assert.DoesNotContain("; secure", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; httponly", session, StringComparison.OrdinalIgnoreCase);
    }

    private static void ForwardedHttps(HttpRequestMessage request)
    {
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
    }

    private static string SessionCookie(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var cookies = response.Headers.TryGetValues("Set-Cookie", out var values) ? values.ToList() : [];
        return Assert.Single(cookies, cookie => cookie.StartsWith("llmgw-admin=", StringComparison.Ordinal));
    }
}
