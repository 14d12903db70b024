using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using LlmGateway.Tests.AppHost;
using Microsoft.Playwright;

namespace LlmGateway.Tests.Admin;

[Collection(AppHostCollection.Name)]
public sealed class AdminSignInTests(AppHostFixture fixture)
{
    [Fact]
    public async Task UnauthenticatedVisitGoesToSignInAWrongKeyIsRefusedAndTheMasterKeyLandsOnOverview()
    {
        await using var browser = await BrowserSession.StartAsync();
        var page = browser.Page;
        try
        {
            var admin = fixture.App.GetEndpoint("admin", "http");
            await page.GotoAsync(new Uri(admin, "teams").ToString());
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/signin\\?ReturnUrl=%2Fteams"));
            await Assertions.Expect(page).ToHaveTitleAsync("Sign in · LlmGateway");

            await AdminSignIn.SubmitAsync(page, "sk-not-the-master-key");
            await Assertions.Expect(page.GetByTestId("signin-error")).ToContainTextAsync("not the master key");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/signin"));

            await page.GotoAsync(admin.ToString());
            await AdminSignIn.SubmitAsync(page, AppHostFixture.MasterKey);
            await Assertions.Expect(page).ToHaveTitleAsync("Overview · LlmGateway");
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();

            // The master key stays on the server: it is in no page the browser gets.
            Assert.DoesNotContain(AppHostFixture.MasterKey, await page.ContentAsync());

            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/signin"));
            await page.GotoAsync(new Uri(admin, "keys").ToString());
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/signin"));
        }
        catch
        {
            await browser.SaveScreenshotAsync(nameof(UnauthenticatedVisitGoesToSignInAWrongKeyIsRefusedAndTheMasterKeyLandsOnOverview));
            throw;
        }
    }
}
