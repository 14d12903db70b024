using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Admin.Security;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Models;
using Microsoft.Playwright;

namespace LlmGateway.Tests.Admin;

/// <summary>
/// The People pages (users, team members, customers, organizations, tags) create and edit through the Api's management
/// API, and the change is read back from the Api, not only from the page. A negative number is refused before any call.
/// </summary>
public sealed class AdminPeoplePagesTests(StoredModelsFixture fixture) : IClassFixture<StoredModelsFixture>
{
    private Uri adminBase = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAdminCreatesAUserWithABudgetGivesItAZeroBudgetThenRemovesIt()
    {
        var id = Name("user");
        await RunAsync(nameof(AnAdminCreatesAUserWithABudgetGivesItAZeroBudgetThenRemovesIt), "users", async page =>
        {
            await page.GetByTestId("new-user").ClickAsync();
            await page.GetByLabel("User id").FillAsync(id);
            await page.GetByLabel("Name").FillAsync($"{id}-alias");
            await page.GetByLabel("Budget (USD)").FillAsync("5");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(Row(page, id)).ToBeVisibleAsync();
            Assert.Equal(5m, (await GetAsync($"/user/info?user_id={id}")).GetProperty("user_info").GetProperty("max_budget").GetDecimal());
            await SaveAsync(page, "users");

            await page.GetByRole(AriaRole.Button, new() { Name = $"Edit {id}-alias" }).ClickAsync();
            await page.GetByLabel("Budget (USD)").FillAsync("0");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(Row(page, id).GetByTestId("budget-kind")).ToHaveTextAsync("$0 budget: every request refused");
            Assert.Equal(0m, (await GetAsync($"/user/info?user_id={id}")).GetProperty("user_info").GetProperty("max_budget").GetDecimal());

            // Emptied: the budget is removed (sent as null), not kept.
            await page.GetByRole(AriaRole.Button, new() { Name = $"Edit {id}-alias" }).ClickAsync();
            await EmptyAsync(page.GetByLabel("Budget (USD)"), "0");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(Row(page, id).GetByTestId("budget-kind")).ToHaveTextAsync("no budget");
            var info = (await GetAsync($"/user/info?user_id={id}")).GetProperty("user_info");
            Assert.Equal(JsonValueKind.Null, info.GetProperty("max_budget").ValueKind);
            Assert.Equal($"{id}-alias", info.GetProperty("user_alias").GetString()); // what the form did not empty is kept
        });
    }

    [Fact]
    public async Task AnAdminAddsATeamMemberWithABudgetInTheTeamChangesItsRoleEmptiesItsBudgetAndRemovesIt()
    {
        var teamId = (await PostAsync("/team/new", new { team_alias = Name("team") })).GetProperty("team_id").GetString()!;
        var member = Name("member");
        await RunAsync(nameof(AnAdminAddsATeamMemberWithABudgetInTheTeamChangesItsRoleEmptiesItsBudgetAndRemovesIt), $"teams/{teamId}", async page =>
        {
            await page.GetByTestId("add-member").ClickAsync();
            await page.GetByLabel("User id", new() { Exact = true }).FillAsync(member);
            await page.GetByLabel("Budget (USD)").FillAsync("4");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(Row(page, member).GetByTestId("member-role")).ToHaveTextAsync("user");
            var info = await GetAsync($"/team/info?team_id={teamId}");
            Assert.Equal(4m, info.GetProperty("team_memberships")[0].GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal());
            await SaveAsync(page, "team-members");

            await page.GetByRole(AriaRole.Button, new() { Name = $"Edit member {member}" }).ClickAsync();
            await page.GetByTestId("member-role-select").ClickAsync();
            await page.GetByRole(AriaRole.Option, new() { Name = "admin", Exact = true }).ClickAsync();
            await page.GetByLabel("Budget (USD)").FillAsync("6");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(Row(page, member).GetByTestId("member-role")).ToHaveTextAsync("admin");
            info = await GetAsync($"/team/info?team_id={teamId}");
            Assert.Equal("admin", info.GetProperty("team_info").GetProperty("members_with_roles")[0].GetProperty("role").GetString());
            Assert.Equal(6m, info.GetProperty("team_memberships")[0].GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal());

            // Emptied: the member's budget in the team is removed, its role kept.
            await page.GetByRole(AriaRole.Button, new() { Name = $"Edit member {member}" }).ClickAsync();
            await EmptyAsync(page.GetByLabel("Budget (USD)"), "6");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(page.GetByTestId("save-form")).ToHaveCountAsync(0);
            info = await GetAsync($"/team/info?team_id={teamId}");
            Assert.Equal(JsonValueKind.Null, info.GetProperty("team_memberships")[0].GetProperty("litellm_budget_table").GetProperty("max_budget").ValueKind);
            Assert.Equal("admin", info.GetProperty("team_info").GetProperty("members_with_roles")[0].GetProperty("role").GetString());

            await page.GetByRole(AriaRole.Button, new() { Name = $"Remove member {member}" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Remove", Exact = true }).ClickAsync();
            await Assertions.Expect(Row(page, member)).ToHaveCountAsync(0);
            Assert.Equal(0, (await GetAsync($"/team/info?team_id={teamId}")).GetProperty("team_memberships").GetArrayLength());
        });
    }

    [Fact]
    public async Task AnAdminCreatesACustomerWithABudgetBlocksItAndRaisesItsBudget()
    {
        var id = Name("customer");
        await RunAsync(nameof(AnAdminCreatesACustomerWithABudgetBlocksItAndRaisesItsBudget), "customers", async page =>
        {
            await page.GetByTestId("new-customer").ClickAsync();
            await page.GetByLabel("End-user id", new() { Exact = true }).FillAsync(id);
            await page.GetByLabel("Budget (USD)").FillAsync("2");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(Row(page, id)).ToBeVisibleAsync();

            await page.GetByRole(AriaRole.Button, new() { Name = $"Block {id}" }).ClickAsync();
            await Assertions.Expect(Row(page, id)).ToContainTextAsync("Blocked");
            var customer = await GetAsync($"/customer/info?end_user_id={id}");
            Assert.True(customer.GetProperty("blocked").GetBoolean());
            Assert.Equal(2m, customer.GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal());

            await page.GetByRole(AriaRole.Button, new() { Name = $"Edit {id}" }).ClickAsync();
            await page.GetByLabel("Budget (USD)").FillAsync("3");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(Row(page, id)).ToContainTextAsync("of $3.00");
            Assert.Equal(3m, (await GetAsync($"/customer/info?end_user_id={id}")).GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal());
            await SaveAsync(page, "customers");
        });
    }

    [Fact]
    public async Task AnAdminCreatesAnOrganizationSeesItsTeamAndRaisesItsBudget()
    {
        var alias = Name("org");
        await RunAsync(nameof(AnAdminCreatesAnOrganizationSeesItsTeamAndRaisesItsBudget), "organizations", async page =>
        {
            await page.GetByTestId("new-organization").ClickAsync();
            await page.GetByLabel("Name").FillAsync(alias);
            await page.GetByLabel("Budget (USD)").FillAsync("10");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(Row(page, alias)).ToBeVisibleAsync();
            var organization = (await GetAsync("/organization/list")).EnumerateArray().Single(o => o.GetProperty("organization_alias").GetString() == alias);
            var team = Name("org-team");
            await PostAsync("/team/new", new { team_alias = team, organization_id = organization.GetProperty("organization_id").GetString() });
            await page.ReloadAsync();
            await AdminSignIn.WaitForInteractiveAsync(page);
            await Assertions.Expect(Row(page, alias).GetByRole(AriaRole.Link, new() { Name = team })).ToBeVisibleAsync();
            await SaveAsync(page, "organizations");

            await page.GetByRole(AriaRole.Button, new() { Name = $"Edit {alias}" }).ClickAsync();
            await page.GetByLabel("Budget (USD)").FillAsync("20");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(Row(page, alias)).ToContainTextAsync("of $20.00");
            Assert.Equal(20m, (await GetAsync($"/organization/info?organization_id={organization.GetProperty("organization_id").GetString()}"))
                .GetProperty("max_budget").GetDecimal());
        });
    }

    [Fact]
    public async Task AnAdminCreatesATagWithABudgetAndChangesItsBudgetAndDescription()
    {
        var name = Name("tag");
        await RunAsync(nameof(AnAdminCreatesATagWithABudgetAndChangesItsBudgetAndDescription), "tags", async page =>
        {
            await page.GetByTestId("new-tag").ClickAsync();
            await page.GetByLabel("Tag", new() { Exact = true }).FillAsync(name);
            await page.GetByLabel("Budget (USD)").FillAsync("1");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(Row(page, name)).ToContainTextAsync("of $1.00");
            await SaveAsync(page, "tags");

            await page.GetByRole(AriaRole.Button, new() { Name = $"Edit {name}" }).ClickAsync();
            await page.GetByLabel("Description").FillAsync("search traffic");
            await page.GetByLabel("Budget (USD)").FillAsync("1.5");
            await page.GetByTestId("save-form").ClickAsync();
            await Assertions.Expect(Row(page, name)).ToContainTextAsync("search traffic");
            var tag = (await PostAsync("/tag/info", new { names = new[] { name } })).GetProperty(name);
            Assert.Equal(1.5m, tag.GetProperty("max_budget").GetDecimal());
            Assert.Equal("search traffic", tag.GetProperty("description").GetString());
        });
    }

    [Fact]
    public async Task ANegativeNumberIsRefusedWithAMessageOnEveryPeopleFormAndNothingIsSent()
    {
        var id = Name("bad");
        await RunAsync(nameof(ANegativeNumberIsRefusedWithAMessageOnEveryPeopleFormAndNothingIsSent), "users", async page =>
        {
            foreach (var (path, button, fill) in new (string, string, Func<Task>)[]
            {
                ("users", "new-user", () => page.GetByLabel("User id").FillAsync(id)),
                ("customers", "new-customer", () => page.GetByLabel("End-user id", new() { Exact = true }).FillAsync(id)),
                ("organizations", "new-organization", () => page.GetByLabel("Name").FillAsync(id)),
                ("tags", "new-tag", () => page.GetByLabel("Tag", new() { Exact = true }).FillAsync(id)),
            })
            {
                await AdminSignIn.OpenAsync(page, new Uri(adminBase, path));
                await page.GetByTestId(button).ClickAsync();
                await fill();
                await page.GetByLabel("Budget (USD)").FillAsync("-5");
                await Assertions.Expect(page.GetByTestId("form-problem")).ToHaveTextAsync("Budget must be 0 or more.");
                await page.GetByLabel("Requests / min").FillAsync("-1");
                await page.GetByTestId("save-form").ClickAsync();
                await Assertions.Expect(page.GetByTestId("api-error")).ToContainTextAsync("Budget must be 0 or more.");
                await Assertions.Expect(page.GetByTestId("save-form")).ToBeVisibleAsync();
            }

            Assert.DoesNotContain(id, (await GetAsync("/user/list?page_size=100")).GetRawText(), StringComparison.Ordinal);
            Assert.DoesNotContain(id, (await GetAsync("/customer/list")).GetRawText(), StringComparison.Ordinal);
            Assert.DoesNotContain(id, (await GetAsync("/organization/list")).GetRawText(), StringComparison.Ordinal);
            Assert.DoesNotContain(id, (await GetAsync("/tag/list")).GetRawText(), StringComparison.Ordinal);
        });
    }

    private static string Name(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private static ILocator Row(IPage page, string text) => page.GetByRole(AriaRole.Row).Filter(new() { HasText = text });

    private async Task RunAsync(string test, string path, Func<IPage, Task> steps)
    {
        await using var admin = await AdminHost.StartAsync(new Dictionary<string, string?>
        {
            ["Gateway:ApiBaseAddress"] = fixture.A.BaseAddress.ToString(),
            ["Gateway:MasterKey"] = GatewayApiHost.MasterKey,
        }, "Development"); // Development serves the Blazor script from the build output
        adminBase = admin.BaseAddress;
        await using var browser = await BrowserSession.StartAsync(1440);
        try
        {
            await AdminSignIn.SignInAsync(browser.Page, admin.BaseAddress, GatewayApiHost.MasterKey);
            await AdminSignIn.OpenAsync(browser.Page, new Uri(admin.BaseAddress, path));
            await steps(browser.Page);
            await Assertions.Expect(browser.Page.Locator("#blazor-error-ui")).ToBeHiddenAsync();
        }
        catch
        {
            await browser.SaveScreenshotAsync(test);
            throw;
        }
    }

    private async Task<JsonElement> GetAsync(string path)
    {
        using var client = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return JsonDocument.Parse(await client.GetStringAsync(path, Ct)).RootElement.Clone();
    }

    private async Task<JsonElement> PostAsync(string path, object body)
    {
        using var client = fixture.A.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var response = await client.PostAsJsonAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The pictures of docs/admin.md (<c>TestResults/pages</c>).</summary>
    private static Task SaveAsync(IPage page, string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "pages");
        Directory.CreateDirectory(folder);
        return page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png") });
    }

    /// <summary>
    /// Empties a field of the dialog just opened: first its stored value shown (the dialog rendered), then the field emptied
    /// and left (Tab), so the server has the empty value before Save is clicked (a save once sent the value it had: CI).
    /// </summary>
    private static async Task EmptyAsync(ILocator field, string shown)
    {
        await Assertions.Expect(field).ToHaveValueAsync(shown);
        await field.FillAsync("");
        await field.PressAsync("Tab");
        await Assertions.Expect(field).ToHaveValueAsync("");
    }
}
