using Microsoft.Playwright;

namespace LlmGateway.Tests.Admin;

/// <summary>Signs a browser page in to the admin with a secret, through the sign-in form.</summary>
public static class AdminSignIn
{
    public static async Task SubmitAsync(IPage page, string secret)
    {
        await page.Locator("#secret").FillAsync(secret);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Opens <paramref name="adminUrl"/>, is sent to the sign-in page, signs in and waits for the Overview.</summary>
    public static async Task SignInAsync(IPage page, Uri adminUrl, string secret)
    {
        await page.GotoAsync(adminUrl.ToString());
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/signin"));
        await SubmitAsync(page, secret);
        await Assertions.Expect(page).ToHaveTitleAsync("Overview · LlmGateway");
    }
}
