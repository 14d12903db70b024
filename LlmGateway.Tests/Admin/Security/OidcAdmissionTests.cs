using System.Security.Claims;
using LlmGateway.Admin.Auth;

namespace LlmGateway.Tests.Admin.Security;

/// <summary>Single sign-on lets in only listed groups, or listed e-mail addresses the identity provider verified.</summary>
public sealed class OidcAdmissionTests
{
    private static readonly AdminAuthOptions.OidcOptions Options = new()
    {
        Authority = "https://login.example",
        AllowedEmails = ["ops@example.com"],
        AllowedGroups = ["gateway-admins"],
    };

    [Fact]
    public void AListedVerifiedEmailIsLetIn() =>
        Assert.Null(OidcAdmission.Refusal(User(("email", "Ops@Example.com"), ("email_verified", "true")), Options));

    [Theory]
    [InlineData("false")]
    [InlineData("")]
    [InlineData(null)]
    public void AListedEmailThatIsNotVerifiedIsRefused(string? verified)
    {
        var claims = verified is null ? [("email", "ops@example.com")] : new[] { ("email", "ops@example.com"), ("email_verified", verified) };
        Assert.Contains("email_verified", OidcAdmission.Refusal(User(claims), Options));
    }

    [Fact]
    public void AnUnlistedVerifiedEmailIsRefused() =>
        Assert.Contains("is not an admin", OidcAdmission.Refusal(User(("email", "someone@example.com"), ("email_verified", "true")), Options));

    [Fact]
    public void AMemberOfAListedGroupIsLetInWhateverItsEmail() =>
        Assert.Null(OidcAdmission.Refusal(User(("email", "someone@example.com"), ("groups", "staff"), ("groups", "gateway-admins")), Options));

    [Fact]
    public void AnIdentityWithNeitherIsRefused() =>
        Assert.NotNull(OidcAdmission.Refusal(User(("groups", "staff")), Options));

    [Fact]
    public async Task SingleSignOnWithNoAllowListRefusesToStart()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var admin = await AdminHost.StartAsync(new Dictionary<string, string?>
            {
                ["Admin:Oidc:Authority"] = "https://login.example",
                ["Admin:Oidc:ClientId"] = "llmgateway-admin",
            });
        });

        Assert.Contains("neither Admin:Oidc:AllowedEmails nor Admin:Oidc:AllowedGroups", failure.ToString());
    }

    [Fact]
    public async Task SingleSignOnWithAnAllowListStartsAndOffersItsButton()
    {
        await using var admin = await AdminHost.StartAsync(new Dictionary<string, string?>
        {
            ["Admin:Oidc:Authority"] = "https://login.example",
            ["Admin:Oidc:ClientId"] = "llmgateway-admin",
            ["Admin:Oidc:AllowedGroups:0"] = "gateway-admins",
            ["Admin:Oidc:DisplayName"] = "Example SSO",
        });
        using var browser = admin.CreateBrowser();

        var page = await browser.Client.GetStringAsync("/account/signin", TestContext.Current.CancellationToken);

        Assert.Contains("Sign in with Example SSO", page);
    }

    private static ClaimsPrincipal User(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "oidc"));
}
