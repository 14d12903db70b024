using Microsoft.Playwright;

namespace LlmGateway.Tests.Admin;

/// <summary>Signs a browser page in to the admin with a secret, through the sign-in form.</summary>
public static class AdminSignIn
{
    /// <summary>Opens a page and waits until its Blazor circuit is live, so clicks reach the server.</summary>
    public static async Task OpenAsync(IPage page, Uri url)
    {
        await page.GotoAsync(url.ToString());
        await WaitForInteractiveAsync(page);
    }

    public static Task WaitForInteractiveAsync(IPage page) =>
        page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });

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
        await WaitForInteractiveAsync(page);
    }
}
