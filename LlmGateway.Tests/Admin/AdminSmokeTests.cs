using Aspire.Hosting.Testing;
using LlmGateway.Tests.AppHost;
using Microsoft.Playwright;

namespace LlmGateway.Tests.Admin;

[Collection(AppHostCollection.Name)]
public sealed class AdminSmokeTests(AppHostFixture fixture)
{
    [Fact]
    public async Task HomePageRendersNavigationAndTheApiIsReady()
    {
        await using var browser = await BrowserSession.StartAsync();
        var page = browser.Page;
        try
        {
            await AdminSignIn.SignInAsync(page, fixture.App.GetEndpoint("admin", "http"), AppHostFixture.MasterKey);

            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
            foreach (var area in new[] { "Teams", "Keys", "Models", "Spend", "Alerts" })
            {
                await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = area })).ToBeVisibleAsync();
            }

            // The status card is filled in by the interactive circuit calling the Api's readiness.
            await Assertions.Expect(page.GetByTestId("api-ready")).ToHaveTextAsync("Ready");
        }
        catch
        {
            await browser.SaveScreenshotAsync(nameof(HomePageRendersNavigationAndTheApiIsReady));
            throw;
        }
    }
}
