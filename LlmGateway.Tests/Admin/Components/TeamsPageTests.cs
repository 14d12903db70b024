using System.Net;
using Bunit;
using LlmGateway.Admin.Components.Pages.Teams;

namespace LlmGateway.Tests.Admin.Components;

public sealed class TeamsPageTests : AdminComponentTest
{
    [Fact]
    public void TeamNamesAreRenderedAsTextNotMarkup()
    {
        Api.Answer("GET /team/list", """
            [{"team_id":"t-1","team_alias":"<script>alert(1)</script>","spend":2.5,"max_budget":10,"budget_duration":"1mo","unknown_field":{"x":1}},
             {"team_id":"t-2","team_alias":"search","spend":0}]
            """);

        var page = Render<Teams>();

        page.WaitForAssertion(() => Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", page.Markup));
        Assert.Empty(page.FindAll("script"));
        Assert.Equal(["<script>alert(1)</script>", "search"], page.FindAll("[data-testid=team-name]").Select(a => a.TextContent));
        Assert.Equal($"Bearer {MasterKey}", Api.Requests.Single().Authorization);
    }

    [Fact]
    public void NoTeamsShowsAnEmptyStateThatSaysWhatToDo()
    {
        Api.Answer("GET /team/list", "[]");

        var page = Render<Teams>();

        page.WaitForAssertion(() => Assert.Contains("No teams yet", page.Find("[data-testid=empty-state]").TextContent));
        Assert.Empty(page.FindAll("[data-testid=api-error]"));
    }

    [Fact]
    public void AnApiErrorIsShownAsTheEnvelopesMessage()
    {
        Api.Answer("GET /team/list", """{"error":{"message":"Invalid API key: the key is not recognised.","type":"invalid_api_key","code":"invalid_api_key"}}""",
            HttpStatusCode.Unauthorized);

        var page = Render<Teams>();

        page.WaitForAssertion(() => Assert.Equal(
            "The Api refused the admin's credential (check Gateway:MasterKey): Invalid API key: the key is not recognised.",
            page.Find("[data-testid=api-error]").TextContent.Trim()));
        Assert.Empty(page.FindAll("[data-testid=empty-state]"));
    }
}
