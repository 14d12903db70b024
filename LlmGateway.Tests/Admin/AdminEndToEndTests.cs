using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Aspire.Hosting.Testing;
using LlmGateway.Tests.AppHost;
using Microsoft.Playwright;

namespace LlmGateway.Tests.Admin;

[Collection(AppHostCollection.Name)]
public sealed class AdminEndToEndTests(AppHostFixture fixture)
{
    private const string ScriptName = "<script>alert(1)</script>";

    [Fact]
    public async Task AdminManagesATeamAndKeyEndToEnd()
    {
        await using var browser = await BrowserSession.StartAsync();
        var page = browser.Page;
        var alerts = 0;
        page.Dialog += (_, dialog) => { alerts++; _ = dialog.DismissAsync(); };
        var admin = fixture.App.GetEndpoint("admin", "http");
        var teamName = $"e2e-{Guid.NewGuid():N}"[..12];
        try
        {
            await AdminSignIn.SignInAsync(page, admin, AppHostFixture.MasterKey);

            // A team, and one whose name is markup: it must show as text and run nothing.
            await AdminSignIn.OpenAsync(page, new Uri(admin, "teams"));
            await CreateTeamAsync(page, teamName);
            await CreateTeamAsync(page, ScriptName);
            await Assertions.Expect(page.GetByTestId("team-name").Filter(new() { HasText = ScriptName })).ToBeVisibleAsync();
            Assert.Equal(0, await page.EvaluateAsync<int>("() => [...document.scripts].filter(s => s.textContent.includes('alert(1)')).length"));

            // A key for the team: its secret is shown once.
            await AdminSignIn.OpenAsync(page, new Uri(admin, "keys"));
            await page.GetByTestId("new-key").ClickAsync();
            // The alias first: the circuit handles events in order, so the team pick cannot re-render over it.
            await page.GetByTestId("key-alias-input").FillAsync($"{teamName}-production");
            await page.GetByTestId("key-team").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = teamName }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("key-alias-input")).ToHaveValueAsync($"{teamName}-production");
            await page.GetByTestId("create-key").ClickAsync();
            var secretBox = page.Locator("input[data-testid=key-secret], [data-testid=key-secret] input").First;
            await Assertions.Expect(secretBox).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("^sk-"));
            var secret = await secretBox.InputValueAsync();
            await page.GetByTestId("key-done").ClickAsync();
            await page.ReloadAsync();
            await AdminSignIn.WaitForInteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("key-alias").Filter(new() { HasText = $"{teamName}-production" })).ToBeVisibleAsync();
            Assert.DoesNotContain(secret, await page.ContentAsync());

            // The key works against the Api, and the request shows up as spend and in the log.
            using var api = fixture.App.CreateHttpClient("api");
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(api, secret)).StatusCode);
            await AdminSignIn.OpenAsync(page, new Uri(admin, "spend"));
            // The ledger row is written from the usage stream a moment after the response: apply the filters until it is there.
            var logged = page.GetByTestId("request-log").GetByText("claude-sonnet").First;
            for (var attempt = 1; ; attempt++)
            {
                await page.GetByTestId("apply-filters").ClickAsync();
                try
                {
                    await Assertions.Expect(logged).ToBeVisibleAsync(new() { Timeout = 2000 });
                    break;
                }
                catch (PlaywrightException) when (attempt < 10)
                {
                }
            }
            await AdminSignIn.OpenAsync(page, new Uri(admin, "teams"));
            // The team's spend is no longer zero: some non-zero digit follows "$0." (the mock's cost is a fraction of a cent).
            await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = teamName }))
                .ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"\$0\.0*[1-9]"));

            // Blocked, the key is refused on the next call.
            await AdminSignIn.OpenAsync(page, new Uri(admin, "keys"));
            await page.GetByRole(AriaRole.Button, new() { Name = $"Block {teamName}-production" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = $"{teamName}-production" }).GetByText("Blocked")).ToBeVisibleAsync();
            var refused = await ChatAsync(api, secret);
            Assert.True(refused.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"a blocked key got {refused.StatusCode}");
            Assert.Equal(0, alerts);
        }
        catch
        {
            await browser.SaveScreenshotAsync(nameof(AdminManagesATeamAndKeyEndToEnd));
            throw;
        }
    }

    private static async Task CreateTeamAsync(IPage page, string name)
    {
        await page.GetByTestId("new-team").ClickAsync();
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByLabel("Budget (USD)").FillAsync("5");
        await page.GetByTestId("save-team").ClickAsync();
        await Assertions.Expect(page.GetByTestId("team-name").Filter(new() { HasText = name })).ToBeVisibleAsync();
    }

    private static async Task<HttpResponseMessage> ChatAsync(HttpClient api, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "claude-sonnet", messages = new[] { new { role = "user", content = "hello" } } }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await api.SendAsync(request);
    }
}
