using Aspire.Hosting.Testing;
using LlmGateway.Tests.AppHost;
using Microsoft.Playwright;

namespace LlmGateway.Tests.Admin;

/// <summary>Every page with some traffic on it, saved as <c>TestResults/pages/*.png</c>: the pictures in docs/admin.md.</summary>
[Collection(AppHostCollection.Name)]
public sealed class AdminScreenshotTests(AppHostFixture fixture)
{
    [Fact]
    public async Task EveryPageRendersWithTrafficAndIsSavedForTheDocs()
    {
        using var api = new AdminGatewayCalls(fixture);
        var teamId = await api.CreateTeamAsync($"search-{Guid.NewGuid():N}"[..11], 5);
        var key = await api.CreateKeyAsync(teamId, "search-production");
        foreach (var _ in Enumerable.Range(0, 3))
        {
            Assert.Equal(200, await api.ChatAsync(key));
        }

        Assert.Equal(401, await api.ChatAsync("sk-not-a-key-of-this-gateway"));
        var admin = fixture.App.GetEndpoint("admin", "http");
        await using var browser = await BrowserSession.StartAsync();
        var page = browser.Page;
        try
        {
            await AdminSignIn.SignInAsync(page, admin, AppHostFixture.MasterKey);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await Assertions.Expect(page.GetByTestId("spend-chart")).ToBeVisibleAsync(new() { Timeout = 2000 });
                    break;
                }
                catch (PlaywrightException) when (attempt < 15)
                {
                    await AdminSignIn.OpenAsync(page, admin);
                }
            }

            await SaveAsync(page, "overview");
            foreach (var (path, name) in new[] { ("teams", "teams"), ($"teams/{teamId}", "team"), ("keys", "keys"), ("models", "models"),
                ("spend", "spend"), ("playground", "playground"), ("alerts", "alerts"), ("status", "status") })
            {
                await AdminSignIn.OpenAsync(page, new Uri(admin, path));
                await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
                await Assertions.Expect(page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
                if (name == "models")
                {
                    await page.GetByTestId("run-health-check").ClickAsync();
                    await Assertions.Expect(page.GetByTestId("health-summary")).ToBeVisibleAsync(new() { Timeout = 60_000 });
                }

                await SaveAsync(page, name);
            }
        }
        catch
        {
            await browser.SaveScreenshotAsync(nameof(EveryPageRendersWithTrafficAndIsSavedForTheDocs));
            throw;
        }
    }

    private static async Task SaveAsync(IPage page, string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "pages");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png") });
    }
}
