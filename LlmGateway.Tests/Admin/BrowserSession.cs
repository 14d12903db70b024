using Microsoft.Playwright;

namespace LlmGateway.Tests.Admin;

/// <summary>
/// Headless Chromium from the machine's packages (Playwright cannot download its own browser here).
/// Failing tests leave a screenshot in TestResults/screenshots.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright playwright = null!;
    private IBrowser browser = null!;

    public IPage Page { get; private set; } = null!;

    public static async Task<BrowserSession> StartAsync(int width = 1280)
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: apt-get install chromium (./test.sh does)");
        }

        var session = new BrowserSession { playwright = await Playwright.CreateAsync() };
        session.browser = await session.playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Timeout = 30_000,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        session.Page = await session.browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new() { Width = width, Height = 900 } });
        session.Page.SetDefaultTimeout(20_000);
        return session;
    }

    /// <summary>Saves a screenshot named after the test; call from a catch block before rethrowing.</summary>
    public async Task SaveScreenshotAsync(string testName)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{testName}.png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
