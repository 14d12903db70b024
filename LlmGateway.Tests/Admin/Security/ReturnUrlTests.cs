using System.Net;
using LlmGateway.Admin.Auth;

namespace LlmGateway.Tests.Admin.Security;

public sealed class ReturnUrlTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/teams")]
    [InlineData("/teams/t-1?tab=keys#top")]
    [InlineData("/spend?team=a%2Fb")]
    public void APathOnThisSiteIsKept(string url) => Assert.Equal(url, LocalReturnUrl.Resolve(url));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("/\t/evil.example")]
    [InlineData("/\n/evil.example")]
    [InlineData("/\r\n/evil.example")]
    [InlineData("\\\\evil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("http:evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("evil.example")]
    [InlineData("/ /evil.example")]
    [InlineData("/teams\\..\\\\evil.example")]
    public void AnythingThatCouldLeaveTheSiteBecomesTheHomePage(string? url) => Assert.Equal("/", LocalReturnUrl.Resolve(url));

    [Theory]
    [InlineData("%2F%09%2Fevil.example")]
    [InlineData("%2F%2Fevil.example")]
    [InlineData("%2F%5Cevil.example")]
    [InlineData("https%3A%2F%2Fevil.example%2F")]
    public async Task SigningInWithAForeignReturnUrlLandsOnTheHomePage(string returnUrl)
    {
        await using var admin = await AdminHost.StartAsync();
        using var browser = admin.CreateBrowser();

        using var response = await browser.SignInAsync(AdminHost.MasterKey, $"?ReturnUrl={returnUrl}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var target = new Uri(admin.BaseAddress, response.Headers.Location!.OriginalString);
        Assert.Equal(admin.BaseAddress.Authority, target.Authority);
        Assert.Equal("/", target.AbsolutePath);
        Assert.Equal("/", response.Headers.Location.OriginalString.Replace(admin.BaseAddress.GetLeftPart(UriPartial.Authority), ""));
    }

    [Fact]
    public async Task SigningInWithALocalReturnUrlLandsThere()
    {
        await using var admin = await AdminHost.StartAsync();
        using var browser = admin.CreateBrowser();

        using var response = await browser.SignInAsync(AdminHost.MasterKey, "?ReturnUrl=%2Fteams");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/teams", new Uri(admin.BaseAddress, response.Headers.Location!.OriginalString).AbsolutePath);
    }
}
