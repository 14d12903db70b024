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

            // Every area renders, whatever the Api offers yet: a missing endpoint is a message, not a crash.
            // Each page is also saved as it looks (TestResults/pages/*.png: what docs/admin.md shows).
            await SavePageAsync(page, "overview");
            foreach (var (area, heading) in new[] { ("Teams", "Teams"), ("Keys", "Keys"), ("Models", "Models"), ("Spend", "Spend and requests"), ("Playground", "Playground"), ("Alerts", "Alerts"), ("Status", "Status") })
            {
                await page.GetByRole(AriaRole.Link, new() { Name = area }).ClickAsync();
                await Assertions.Expect(page.GetByText(heading, new() { Exact = true }).First).ToBeVisibleAsync();
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
                await Assertions.Expect(page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
                await SavePageAsync(page, area.ToLowerInvariant());
            }
        }
        catch
        {
            await browser.SaveScreenshotAsync(nameof(HomePageRendersNavigationAndTheApiIsReady));
            throw;
        }
    }

    private static async Task SavePageAsync(IPage page, string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "pages");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png") });
    }
}
