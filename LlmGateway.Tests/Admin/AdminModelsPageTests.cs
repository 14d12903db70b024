using System.Net;
using System.Net.Http.Json;
using LlmGateway.Tests.Admin.Security;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Models;
using Microsoft.Playwright;

namespace LlmGateway.Tests.Admin;

/// <summary>
/// The Models page adds, edits and deletes deployments through the Api's <c>/model/new|update|delete</c>, tests a
/// connection before saving, and never shows the upstream key again once it is typed.
/// </summary>
public sealed class AdminModelsPageTests(StoredModelsFixture fixture) : IClassFixture<StoredModelsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAdminTestsAddsEditsAndDeletesADeploymentWhoseKeyIsNeverShownAgain()
    {
        var group = $"ui-{Guid.NewGuid():N}"[..14];
        var secret = $"sk-ui-upstream-{Guid.NewGuid():N}";
        await using var admin = await AdminHost.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:ApiBaseAddress"] = fixture.A.BaseAddress.ToString(),
            ["Gateway:MasterKey"] = GatewayApiHost.MasterKey,
        }, "Development"); // Development serves the Blazor script from the build output

        await using var browser = await BrowserSession.StartAsync(1440);
        var page = browser.Page;
        try
        {
            await AdminSignIn.SignInAsync(page, admin.BaseAddress, GatewayApiHost.MasterKey);
            await AdminSignIn.OpenAsync(page, new Uri(admin.BaseAddress, "models"));

            // A wrong base URL fails the test; the right one passes it; then it is saved.
            await page.GetByTestId("new-model").ClickAsync();
            await page.GetByLabel("Model group").FillAsync(group);
            await page.GetByLabel("Provider model").FillAsync("openai/ui-gpt");
            await page.GetByLabel("API base").FillAsync("http://127.0.0.1:1/v1");
            await page.GetByLabel("API key").FillAsync(secret);
            await page.GetByTestId("test-connection").ClickAsync();
            await Assertions.Expect(page.GetByTestId("connection-result")).ToContainTextAsync("Failed");
            await page.GetByLabel("API base").FillAsync(fixture.Fake.OpenAiBase.ToString());
            await page.GetByTestId("test-connection").ClickAsync();
            await Assertions.Expect(page.GetByTestId("connection-result")).ToContainTextAsync("Connected");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = PicturePath("model-dialog") }); // docs/admin.md
            Assert.Equal($"Bearer {secret}", fixture.Fake.Requests.Last(r => r.Model == "ui-gpt").Header("Authorization"));
            await page.GetByTestId("save-model").ClickAsync();
            var card = page.GetByTestId("model-group").Filter(new() { HasText = group });
            await Assertions.Expect(card).ToBeVisibleAsync();
            using (var served = await ChatAsync(fixture.B, group))
            {
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            }

            await page.ReloadAsync();
            await AdminSignIn.WaitForInteractiveAsync(page);
            await Assertions.Expect(card).ToBeVisibleAsync();
            Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);

            // Edit: the key field starts empty and, left empty, keeps the stored key.
            await card.GetByTestId("edit-model").ClickAsync();
            await Assertions.Expect(page.GetByLabel("API key")).ToHaveValueAsync("");
            await page.GetByLabel("Requests / min").FillAsync("42");
            await page.GetByTestId("save-model").ClickAsync();
            await Assertions.Expect(page.GetByTestId("save-model")).ToBeHiddenAsync();
            using (var served = await ChatAsync(fixture.B, group))
            {
                Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            }

            Assert.Equal($"Bearer {secret}", fixture.Fake.Requests.Last(r => r.Model == "ui-gpt").Header("Authorization"));
            Assert.Contains("\"rpm\":42", await fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey).GetStringAsync("/model/info", Ct));

            // Delete, confirmed: gone from the page and from the other replica.
            await card.GetByTestId("delete-model").ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
            await Assertions.Expect(card).ToHaveCountAsync(0);
            await LocalProcess.WaitUntilAsync(async () =>
            {
                using var response = await ChatAsync(fixture.B, group);
                return response.StatusCode == HttpStatusCode.NotFound;
            }, TimeSpan.FromSeconds(5), "replica B dropping the deleted deployment");
            await Assertions.Expect(page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
        }
        catch
        {
            await browser.SaveScreenshotAsync(nameof(AnAdminTestsAddsEditsAndDeletesADeploymentWhoseKeyIsNeverShownAgain));
            throw;
        }
    }

    [Fact]
    public async Task AnAdminDisablesAStoredDeploymentWhichStopsServingAndEnablesItAgain()
    {
        var group = $"off-{Guid.NewGuid():N}"[..14];
        using (var api = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey))
        using (var created = await api.PostAsJsonAsync("/model/new", new
        {
            model_name = group,
            litellm_params = new { model = "openai/off-gpt", api_base = fixture.Fake.OpenAiBase.ToString(), api_key = "sk-off" },
        }, Ct))
        {
            Assert.True(created.IsSuccessStatusCode);
        }

        await using var admin = await AdminHost.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:ApiBaseAddress"] = fixture.A.BaseAddress.ToString(),
            ["Gateway:MasterKey"] = GatewayApiHost.MasterKey,
        }, "Development");
        await using var browser = await BrowserSession.StartAsync(1440);
        var page = browser.Page;
        try
        {
            await AdminSignIn.SignInAsync(page, admin.BaseAddress, GatewayApiHost.MasterKey);
            await AdminSignIn.OpenAsync(page, new Uri(admin.BaseAddress, "models"));
            var card = page.GetByTestId("model-group").Filter(new() { HasText = group });

            await card.GetByRole(AriaRole.Button, new() { Name = "Disable deployment" }).ClickAsync();
            await Assertions.Expect(card.GetByTestId("deployment-disabled")).ToBeVisibleAsync();
            await AnswersAsync(fixture.B, group, HttpStatusCode.NotFound);
            var calls = fixture.Fake.Requests.Count(r => r.Model == "off-gpt");
            using (var refused = await ChatAsync(fixture.A, group))
            {
                Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            }

            Assert.Equal(calls, fixture.Fake.Requests.Count(r => r.Model == "off-gpt"));
            await page.ReloadAsync();
            await AdminSignIn.WaitForInteractiveAsync(page);
            await Assertions.Expect(card.GetByTestId("deployment-disabled")).ToBeVisibleAsync();

            await card.GetByRole(AriaRole.Button, new() { Name = "Enable deployment" }).ClickAsync();
            await Assertions.Expect(card.GetByTestId("deployment-disabled")).ToHaveCountAsync(0);
            await AnswersAsync(fixture.B, group, HttpStatusCode.OK);
            await Assertions.Expect(page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
        }
        catch
        {
            await browser.SaveScreenshotAsync(nameof(AnAdminDisablesAStoredDeploymentWhichStopsServingAndEnablesItAgain));
            throw;
        }
    }

    private static Task AnswersAsync(GatewayApiHost host, string group, HttpStatusCode status) =>
        LocalProcess.WaitUntilAsync(async () =>
        {
            using var response = await ChatAsync(host, group);
            return response.StatusCode == status;
        }, TimeSpan.FromSeconds(10), $"{group} answering {status}");

    private static string PicturePath(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "pages");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, $"{name}.png");
    }

    private static async Task<HttpResponseMessage> ChatAsync(GatewayApiHost host, string group)
    {
        using var client = host.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return await client.PostAsJsonAsync("/v1/chat/completions", new { model = group, messages = new[] { new { role = "user", content = "hi" } } }, Ct);
    }
}
