using Bunit;
using LlmGateway.Admin.Components.Pages.Alerts;

namespace LlmGateway.Tests.Admin.Components;

public sealed class AlertsPageTests : AdminComponentTest
{
    [Fact]
    public void AnApiWithoutAlertEndpointsSaysTheyAreNotAvailableYet()
    {
        var page = Render<Alerts>();

        page.WaitForAssertion(() => Assert.Contains("not available yet", page.Find("[data-testid=alerts-unavailable]").TextContent));

        page.Find("[data-testid=send-test-alert]").Click();

        page.WaitForAssertion(() => Assert.Contains("Test alerts are not available yet", page.Find("[data-testid=api-error]").TextContent));
    }

    [Fact]
    public void AlertHistoryRendersMessagesAsText()
    {
        Api.Answer("GET /alerts", """{"alerts":[{"id":"a1","type":"budget_alerts","message":"<img src=x onerror=alert(1)> spent 80%","created_at":"2026-05-01T10:00:00Z"}]}""");

        var page = Render<Alerts>();

        page.WaitForAssertion(() => Assert.Contains("&lt;img src=x onerror=alert(1)&gt; spent 80%", page.Markup));
        Assert.Empty(page.FindAll("img"));
    }
}
