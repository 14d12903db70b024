using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using LlmGateway.Tests.AppHost;
using Microsoft.Playwright;

namespace LlmGateway.Tests.Admin;

/// <summary>What a demanding admin saw on the pages (issue #21's bugs), through the browser.</summary>
[Collection(AppHostCollection.Name)]
public sealed class AdminPagesTests(AppHostFixture fixture)
{
    private Uri Admin => fixture.App.GetEndpoint("admin", "http");

    [Fact]
    public async Task ANegativeBudgetIsRefusedWithAMessageAndAZeroBudgetIsNotNoBudget()
    {
        using var api = new AdminGatewayCalls(fixture);
        await RunAsync(nameof(ANegativeBudgetIsRefusedWithAMessageAndAZeroBudgetIsNotNoBudget), async page =>
        {
            var zero = Name("zero");
            var none = Name("none");
            await AdminSignIn.OpenAsync(page, new Uri(Admin, "teams"));

            await page.GetByTestId("new-team").ClickAsync();
            await page.GetByLabel("Name").FillAsync(zero);
            await page.GetByLabel("Budget (USD)").FillAsync("-5");
            await Assertions.Expect(page.GetByTestId("form-problem")).ToHaveTextAsync("Budget must be 0 or more.");
            await page.GetByTestId("save-team").ClickAsync();
            await Assertions.Expect(page.GetByTestId("api-error")).ToContainTextAsync("Budget must be 0 or more.");
            await Assertions.Expect(page.GetByLabel("Budget (USD)")).ToHaveValueAsync("-5");

            await page.GetByLabel("Budget (USD)").FillAsync("0");
            await page.GetByTestId("save-team").ClickAsync();
            await Assertions.Expect(page.GetByTestId("team-name").Filter(new() { HasText = zero })).ToBeVisibleAsync();

            await page.GetByTestId("new-team").ClickAsync();
            await page.GetByLabel("Name").FillAsync(none);
            await page.GetByTestId("save-team").ClickAsync();
            await Assertions.Expect(page.GetByTestId("team-name").Filter(new() { HasText = none })).ToBeVisibleAsync();

            await Assertions.Expect(Row(page, zero).GetByTestId("budget-kind")).ToHaveTextAsync("$0 budget: every request refused");
            await Assertions.Expect(Row(page, none).GetByTestId("budget-kind")).ToHaveTextAsync("no budget");

            // The Api keeps them apart too: 0 and null.
            var teams = (await api.TeamListAsync()).EnumerateArray().ToList();
            Assert.Equal(0m, teams.Single(t => t.GetProperty("team_alias").GetString() == zero).GetProperty("max_budget").GetDecimal());
            Assert.Equal(JsonValueKind.Null, teams.Single(t => t.GetProperty("team_alias").GetString() == none).GetProperty("max_budget").ValueKind);
        });
    }

    [Fact]
    public async Task ChartsFitTheSpendInDollarsAndTheThirtyDayLabelsDoNotOverlap()
    {
        using var api = new AdminGatewayCalls(fixture);
        var team = Name("chart");
        var teamId = await api.CreateTeamAsync(team, null);
        Assert.Equal(200, await api.ChatAsync(await api.CreateKeyAsync(teamId, $"{team}-app")));
        await RunAsync(nameof(ChartsFitTheSpendInDollarsAndTheThirtyDayLabelsDoNotOverlap), async page =>
        {
            await ReloadUntilVisibleAsync(page, new Uri(Admin, $"teams/{teamId}"), page.GetByTestId("spend-chart"));
            var chart = page.GetByTestId("spend-chart");

            // The y-axis is in dollars and fits a fraction of a cent (it used to run 0-20 whatever the data).
            var yLabels = await chart.Locator(".mud-charts-yaxis text").AllTextContentsAsync();
            Assert.True(yLabels.Count >= 3, $"y labels: {string.Join(" | ", yLabels)}");
            Assert.All(yLabels, label => Assert.StartsWith("$", label.Trim()));
            var top = yLabels.Max(label => double.Parse(label.Trim().TrimStart('$'), NumberStyles.Any, CultureInfo.InvariantCulture));
            Assert.InRange(top, 0.000001, 0.1);

            // Thirty days of x labels: the ones shown do not overlap.
            var boxes = new List<LocatorBoundingBoxResult>();
            foreach (var label in await chart.Locator(".mud-charts-xaxis text").AllAsync())
            {
                if ((await label.TextContentAsync())?.Trim().Length > 0 && await label.BoundingBoxAsync() is { } box)
                {
                    boxes.Add(box);
                }
            }

            Assert.InRange(boxes.Count, 3, 10);
            var ordered = boxes.OrderBy(b => b.X).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                Assert.True(ordered[i].X >= ordered[i - 1].X + ordered[i - 1].Width, $"x label {i} overlaps the one before it");
            }
        });
    }

    [Fact]
    public async Task KeylessRowsAreNamedKeysShowAliasAndPrefixAndErrorsShowTheirStatus()
    {
        using var api = new AdminGatewayCalls(fixture);
        var team = Name("rows");
        var teamId = await api.CreateTeamAsync(team, null);
        var alias = $"{team}-app";
        var secret = await api.CreateKeyAsync(teamId, alias);
        Assert.Equal(200, await api.ChatAsync(secret));
        Assert.Equal(401, await api.ChatAsync("sk-not-a-key-of-this-gateway"));
        Assert.Equal(200, await api.ChatAsync(AppHostFixture.MasterKey));
        await RunAsync(nameof(KeylessRowsAreNamedKeysShowAliasAndPrefixAndErrorsShowTheirStatus), async page =>
        {
            await AdminSignIn.OpenAsync(page, new Uri(Admin, "spend"));
            var log = page.GetByTestId("request-log");
            var keyed = log.GetByTestId("key-label").Filter(new() { HasText = alias });
            await ApplyUntilVisibleAsync(page, keyed);
            await ApplyUntilVisibleAsync(page, log.GetByTestId("request-key").Filter(new() { HasText = "unauthenticated" }).First);
            await ApplyUntilVisibleAsync(page, log.GetByTestId("request-key").Filter(new() { HasText = "master key" }).First);

            // The key reads as on the Keys page: alias and sk-… prefix, its hash on hover.
            await Assertions.Expect(keyed.First).ToContainTextAsync(new Regex(@"sk-\S+"));
            Assert.Matches("^[0-9a-f]{64}$", await keyed.First.GetAttributeAsync("title"));
            Assert.DoesNotContain(secret, await page.ContentAsync());

            // A refusal shows its HTTP status beside its type.
            var refused = page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByTestId("request-key").Filter(new() { HasText = "unauthenticated" }) }).First;
            await Assertions.Expect(refused.GetByTestId("request-status")).ToHaveTextAsync(new Regex(@"^\s*401 [a-z_]+\s*$"));

            // The overview names the keyless rows instead of leaving them blank.
            await AdminSignIn.OpenAsync(page, Admin);
            await Assertions.Expect(page.GetByTestId("top-name").Filter(new() { HasText = "no team (master key, unauthenticated)" })).ToBeVisibleAsync();
            Assert.DoesNotContain("", (await page.GetByTestId("top-name").AllTextContentsAsync()).Select(t => t.Trim()));
        });
    }

    [Fact]
    public async Task TheByTeamTabHonoursTheTeamFilter()
    {
        using var api = new AdminGatewayCalls(fixture);
        var (first, second) = (Name("first"), Name("second"));
        var firstId = await api.CreateTeamAsync(first, null);
        var secondId = await api.CreateTeamAsync(second, null);
        Assert.Equal(200, await api.ChatAsync(await api.CreateKeyAsync(firstId, $"{first}-app")));
        Assert.Equal(200, await api.ChatAsync(await api.CreateKeyAsync(secondId, $"{second}-app")));
        await RunAsync(nameof(TheByTeamTabHonoursTheTeamFilter), async page =>
        {
            await AdminSignIn.OpenAsync(page, new Uri(Admin, "spend"));
            await ApplyUntilVisibleAsync(page, page.GetByTestId("request-log").GetByText(second).First);
            await page.GetByTestId("filter-team").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = first }).ClickAsync();
            await page.GetByTestId("apply-filters").ClickAsync();
            await page.GetByRole(AriaRole.Tab, new() { Name = "By team" }).ClickAsync();

            var names = page.GetByTestId("top-name");
            await Assertions.Expect(names.Filter(new() { HasText = first })).ToBeVisibleAsync();
            await Assertions.Expect(names).ToHaveCountAsync(1);
        });
    }

    [Fact]
    public async Task AlertSettingsAreReadOnlyAndSayWhereToChangeThem()
    {
        await RunAsync(nameof(AlertSettingsAreReadOnlyAndSayWhereToChangeThem), async page =>
        {
            await AdminSignIn.OpenAsync(page, new Uri(Admin, "alerts"));
            var settings = page.GetByTestId("alert-settings");
            await Assertions.Expect(settings.GetByTestId("alert-settings-where")).ToContainTextAsync("general_settings.alerting");
            await Assertions.Expect(settings.Locator("input, textarea")).ToHaveCountAsync(0);
            await Assertions.Expect(settings.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        });
    }

    [Fact]
    public async Task TheHealthCheckFillsLatencyAndControlsWaitForTheCircuit()
    {
        await RunAsync(nameof(TheHealthCheckFillsLatencyAndControlsWaitForTheCircuit), async page =>
        {
            await AdminSignIn.OpenAsync(page, new Uri(Admin, "models"));
            await page.GetByTestId("run-health-check").ClickAsync();
            await Assertions.Expect(page.GetByTestId("health-summary")).ToBeVisibleAsync(new() { Timeout = 60_000 });
            var latencies = await page.GetByTestId("deployment-latency").AllTextContentsAsync();
            Assert.NotEmpty(latencies);
            Assert.All(latencies, latency => Assert.Matches(@"^\d+(\.\d)?$", latency.Trim()));

            // Without the circuit (its script never arrives) the pre-rendered button is disabled, not dead.
            await page.RouteAsync("**/_framework/blazor.web.js", route => route.AbortAsync());
            await page.GotoAsync(new Uri(Admin, "models").ToString());
            await Assertions.Expect(page.GetByTestId("run-health-check")).ToBeDisabledAsync();
        });
    }

    [Fact]
    public async Task At1440PixelsKeyPrefixesAndActionsStayOnOneLineAndThereIsAFavicon()
    {
        using var api = new AdminGatewayCalls(fixture);
        var team = Name("wide");
        await api.CreateKeyAsync(await api.CreateTeamAsync(team, 10), $"{team}-a-rather-long-alias-for-a-key");
        await RunAsync(nameof(At1440PixelsKeyPrefixesAndActionsStayOnOneLineAndThereIsAFavicon), async page =>
        {
            await AdminSignIn.OpenAsync(page, new Uri(Admin, "keys"));
            var row = Row(page, $"{team}-a-rather-long-alias-for-a-key");
            var prefix = await row.GetByTestId("key-prefix").BoundingBoxAsync();
            Assert.NotNull(prefix);
            Assert.True(prefix.Height < 30, $"the key prefix wraps: {prefix.Height}px high");
            var buttons = new List<LocatorBoundingBoxResult>();
            foreach (var button in await row.GetByRole(AriaRole.Button).AllAsync())
            {
                buttons.Add((await button.BoundingBoxAsync())!);
            }

            Assert.Equal(3, buttons.Count);
            Assert.Single(buttons.Select(b => Math.Round(b.Y)).Distinct());

            var icon = await page.Locator("link[rel=icon]").GetAttributeAsync("href");
            Assert.NotNull(icon);
            var response = await page.APIRequest.GetAsync(new Uri(Admin, icon).ToString());
            Assert.Equal(200, response.Status);
            Assert.StartsWith("image/", response.Headers["content-type"]);
        }, width: 1440);
    }

    [Fact]
    public async Task ThePlaygroundStreamsAChatWithTheMasterKeyOrAPastedKeyAndShowsTheGatewayHeaders()
    {
        using var api = new AdminGatewayCalls(fixture);
        var team = Name("play");
        var secret = await api.CreateKeyAsync(await api.CreateTeamAsync(team, null), $"{team}-app");
        await RunAsync(nameof(ThePlaygroundStreamsAChatWithTheMasterKeyOrAPastedKeyAndShowsTheGatewayHeaders), async page =>
        {
            await page.GetByRole(AriaRole.Link, new() { Name = "Playground" }).ClickAsync();
            await Assertions.Expect(page).ToHaveTitleAsync("Playground · LlmGateway");
            await page.GetByTestId("playground-model").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "claude-sonnet", Exact = true }).ClickAsync();
            await page.GetByTestId("playground-send").ClickAsync();

            await Assertions.Expect(page.GetByTestId("playground-response")).ToContainTextAsync("mock response");
            await Assertions.Expect(page.GetByTestId("header-x-gateway-provider")).ToHaveTextAsync("mock");
            await Assertions.Expect(page.GetByTestId("header-x-gateway-attempts")).ToHaveTextAsync("1");
            await Assertions.Expect(page.GetByTestId("ledger-cost")).ToHaveTextAsync(new Regex(@"^\$0\.0*[1-9]"));
            await Assertions.Expect(page.GetByTestId("header-server-timing")).ToContainTextAsync("limits;dur=");

            // A pasted key is used as it is: its spend lands on its team.
            await page.GetByTestId("playground-own-key").ClickAsync();
            await page.Locator("input[data-testid=playground-key], [data-testid=playground-key] input").First.FillAsync(secret);
            await page.GetByTestId("playground-send").ClickAsync();
            await Assertions.Expect(page.GetByTestId("header-x-request-id")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("playground-response")).ToContainTextAsync("mock response");
            await ReloadUntilVisibleAsync(page, new Uri(Admin, "teams"), Row(page, team).GetByText(new Regex(@"\$0\.0*[1-9]")));
        });
    }

    private static string Name(string what) => $"{what}-{Guid.NewGuid():N}"[..(what.Length + 9)];

    private static ILocator Row(IPage page, string text) => page.GetByRole(AriaRole.Row).Filter(new() { HasText = text });

    private async Task RunAsync(string testName, Func<IPage, Task> steps, int width = 1280)
    {
        await using var browser = await BrowserSession.StartAsync(width);
        try
        {
            await AdminSignIn.SignInAsync(browser.Page, Admin, AppHostFixture.MasterKey);
            await steps(browser.Page);
        }
        catch
        {
            await browser.SaveScreenshotAsync(testName);
            throw;
        }
    }

    /// <summary>The ledger row is written a moment after the response: reload until <paramref name="target"/> shows.</summary>
    private static async Task ReloadUntilVisibleAsync(IPage page, Uri url, ILocator target)
    {
        for (var attempt = 1; ; attempt++)
        {
            await AdminSignIn.OpenAsync(page, url);
            try
            {
                await Assertions.Expect(target).ToBeVisibleAsync(new() { Timeout = 2000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 15)
            {
            }
        }
    }

    private static async Task ApplyUntilVisibleAsync(IPage page, ILocator target)
    {
        for (var attempt = 1; ; attempt++)
        {
            await page.GetByTestId("apply-filters").ClickAsync();
            try
            {
                await Assertions.Expect(target).ToBeVisibleAsync(new() { Timeout = 2000 });
                return;
            }
            catch (PlaywrightException) when (attempt < 15)
            {
            }
        }
    }
}
