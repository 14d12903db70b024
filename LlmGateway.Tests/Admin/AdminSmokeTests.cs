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
            foreach (var area in new[] { "Teams", "Keys", "Models", "Spend", "Playground", "Alerts" })
            {
                await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = area })).ToBeVisibleAsync();
            }

            // The status card is filled in by the interactive circuit calling the Api's readiness.
            await Assertions.Expect(page.GetByTestId("api-ready")).ToHaveTextAsync("Ready");

            // Every area renders, whatever the Api offers yet: a missing endpoint is a message, not a crash.
            foreach (var (area, heading) in new[] { ("Teams", "Teams"), ("Keys", "Keys"), ("Models", "Models"), ("Spend", "Spend and requests"), ("Playground", "Playground"), ("Alerts", "Alerts") })
            {
                await page.GetByRole(AriaRole.Link, new() { Name = area }).ClickAsync();
                await Assertions.Expect(page.GetByText(heading, new() { Exact = true }).First).ToBeVisibleAsync();
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
                await Assertions.Expect(page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
            }
        }
        catch
        {
            await browser.SaveScreenshotAsync(nameof(HomePageRendersNavigationAndTheApiIsReady));
            throw;
        }
    }
}
