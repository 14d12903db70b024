using System.Net.Http.Json;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Alerting;

/// <summary>A budget object's <c>soft_budget</c>: an alert for the holder that crosses it, never a refusal.</summary>
public sealed class BudgetObjectAlertTests(AlertsFixture fixture) : IClassFixture<AlertsFixture>
{
    [Fact]
    public async Task AKeyCrossingItsBudgetObjectsSoftBudgetIsAlertedAndStillServed()
    {
        var marker = $"soft-tier-{Guid.NewGuid():N}"[..24];
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var budget = await admin.PostAsJsonAsync("/budget/new", new { budget_id = marker, soft_budget = 0.02, max_budget = 1 }, TestContext.Current.CancellationToken);
        budget.EnsureSuccessStatusCode();
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = marker + "-team" }, new { key_alias = marker + "-key", budget_id = marker },
            TestContext.Current.CancellationToken);

        await fixture.SpendAsync(key, 4); // past the soft budget: every call still answered (SpendAsync ensures success)

        await AlertsFixture.WaitUntilAsync(() => fixture.Receiver.Slack(marker + "-key").Count == 1, "the soft budget alert of the key");
        Assert.Contains("soft budget", fixture.Receiver.Slack(marker + "-key")[0]);
    }
}
