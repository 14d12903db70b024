using System.Text.Json;
using Bunit;
using LlmGateway.Admin.Components.Pages.Keys;
using LlmGateway.Admin.Services;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace LlmGateway.Tests.Admin.Components;

public sealed class CreateKeyDialogTests : AdminComponentTest
{
    private const string Secret = "sk-live-0123456789abcdefghijklmnop";

    [Fact]
    public async Task TheNewSecretIsShownOnceAndGoneWhenTheDialogCloses()
    {
        Api.Answer("POST /key/generate", $$"""{"key":"{{Secret}}","token":"hash-1","key_name":"sk-...mnop","key_alias":"search-prod","team_id":"t-1","expires":null}""");
        var provider = Render<MudDialogProvider>();
        var parameters = new DialogParameters<CreateKeyDialog>
        {
            { d => d.Teams, [new Team { TeamId = "t-1", TeamAlias = "search" }] },
            { d => d.TeamId, "t-1" },
        };
        var dialog = await provider.InvokeAsync(() => Services.GetRequiredService<IDialogService>().ShowAsync<CreateKeyDialog>("New key", parameters));
        Assert.DoesNotContain(Secret, provider.Markup);

        provider.Find("[data-testid=create-key]").Click();

        provider.WaitForAssertion(() => Assert.Single(provider.FindAll("input"), i => i.GetAttribute("value") == Secret));
        Assert.Single(provider.FindAll("[data-testid=copy-key]"));
        Assert.Contains("shown only once", provider.Markup);
        var sent = JsonDocument.Parse(Api.Requests.Single().Body!).RootElement;
        Assert.Equal("t-1", sent.GetProperty("team_id").GetString());

        provider.Find("[data-testid=key-done]").Click();

        provider.WaitForAssertion(() => Assert.DoesNotContain(Secret, provider.Markup));
        Assert.False((await dialog.Result)!.Canceled);
    }

    [Fact]
    public async Task ARefusedKeyShowsTheApisMessageAndNoSecret()
    {
        Api.Answer("POST /key/generate", """{"error":{"message":"team_id 't-1' does not exist","type":"invalid_request_error","param":"team_id"}}""",
            System.Net.HttpStatusCode.BadRequest);
        var provider = Render<MudDialogProvider>();
        var parameters = new DialogParameters<CreateKeyDialog> { { d => d.Teams, [new Team { TeamId = "t-1" }] }, { d => d.TeamId, "t-1" } };
        await provider.InvokeAsync(() => Services.GetRequiredService<IDialogService>().ShowAsync<CreateKeyDialog>("New key", parameters));

        provider.Find("[data-testid=create-key]").Click();

        provider.WaitForAssertion(() => Assert.Equal("The Api refused the request (400): team_id 't-1' does not exist",
            provider.Find("[data-testid=api-error]").TextContent.Trim()));
        Assert.Empty(provider.FindAll("[data-testid=key-secret]"));
    }
}
