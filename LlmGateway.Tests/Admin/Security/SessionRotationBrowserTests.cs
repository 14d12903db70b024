using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LlmGateway.Tests.Admin.Security;

/// <summary>An open page (a live Blazor circuit) is signed out when the master key it signed in with is rotated, without a reload or restart.</summary>
public sealed class SessionRotationBrowserTests
{
    [Fact]
    public async Task AnOpenPageIsSentToSignInWhenTheMasterKeyRotates()
    {
        var file = Path.Combine(Path.GetTempPath(), $"llmgw-admin-settings-{Guid.NewGuid():N}.json");
        await WriteMasterKeyAsync(file, AdminHost.MasterKey);
        await using var admin = await AdminHost.StartAsync(
            new Dictionary<string, string?> { ["Admin:SessionRevalidationInterval"] = "00:00:01" }, "Development", file);
        await using var browser = await BrowserSession.StartAsync();
        var page = browser.Page;
        try
        {
            await page.GotoAsync(new Uri(admin.BaseAddress, "/status").ToString());
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/signin"));
            await AdminSignIn.SubmitAsync(page, AdminHost.MasterKey);
            await Assertions.Expect(page).ToHaveTitleAsync("Status · LlmGateway");
            await AdminSignIn.WaitForInteractiveAsync(page);

            await WriteMasterKeyAsync(file, "sk-admin-test-rotated-live-0123456789abcdef");

            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/signin\\?ReturnUrl=%2Fstatus"), new() { Timeout = 30_000 });
            await Assertions.Expect(page).ToHaveTitleAsync("Sign in · LlmGateway");
        }
        catch
        {
            await browser.SaveScreenshotAsync(nameof(AnOpenPageIsSentToSignInWhenTheMasterKeyRotates));
            throw;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Task WriteMasterKeyAsync(string file, string masterKey) =>
        File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { Gateway = new { MasterKey = masterKey } }), TestContext.Current.CancellationToken);
}
