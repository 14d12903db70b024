using System.Net;
using LlmGateway.Admin.Services;

namespace LlmGateway.Tests.Admin.Components;

public sealed class AdminLogicTests
{
    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, """{"error":{"message":"Budget exceeded for team 'search'"}}""", "The Api is rate limiting: Budget exceeded for team 'search'")]
    [InlineData(HttpStatusCode.BadRequest, """{"detail":"max_budget must be positive"}""", "The Api refused the request (400): max_budget must be positive")]
    [InlineData(HttpStatusCode.BadGateway, "<html><body>Bad gateway</body></html>", "The Api failed (502).")]
    [InlineData(HttpStatusCode.NotFound, "", "Not found.")]
    public void ApiErrorsBecomeOneReadableSentence(HttpStatusCode status, string body, string expected) =>
        Assert.Equal(expected, ApiErrorMessage.From(status, body));

    [Fact]
    public void AnEmptiedTeamBudgetIsSentAsNullAndABlockOnlyUpdateSendsNoLimits()
    {
        var team = new Team { TeamId = "t1", TeamAlias = "search", MaxBudget = 5, BudgetDuration = "1mo", RpmLimit = 10 };
        var form = LlmGateway.Admin.Components.Pages.Teams.TeamForm.From(team);
        form.MaxBudget = null;
        form.RpmLimit = 20;

        var edit = System.Text.Json.JsonSerializer.SerializeToElement(form.ToRequest("t1", team), GatewayAdminClient.Json);
        var block = System.Text.Json.JsonSerializer.SerializeToElement(new TeamRequest { TeamId = "t1", Blocked = true }, GatewayAdminClient.Json);

        // The management API removes a limit sent as null and keeps one left out; the admin's requests leave nulls out.
        Assert.Equal(System.Text.Json.JsonValueKind.Null, edit.GetProperty("max_budget").ValueKind);
        Assert.Equal(20, edit.GetProperty("rpm_limit").GetInt64());
        Assert.Equal("1mo", edit.GetProperty("budget_duration").GetString());
        Assert.False(edit.TryGetProperty("tpm_limit", out _)); // had none: nothing to remove
        Assert.Equal(["team_id", "blocked"], block.EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData(0.0007, 0.0002, "$0.0008")]
    [InlineData(18.3, 5, "$20.00")]
    [InlineData(0, 0.005, "$0.005")]
    public void AMoneyAxisFitsTheTallestStackWithAWholeNumberTickInDollars(double tallest, double step, string topLabel)
    {
        var axis = LlmGateway.Admin.Components.Shared.ChartAxis.ForMoney(tallest);

        Assert.Equal(step, axis.Step, precision: 9);
        Assert.InRange(axis.Top, tallest, Math.Max(tallest * 2, 0.01));
        Assert.Equal(topLabel, axis.Label(axis.Plot(axis.Top)));
        Assert.Equal(axis.Step * axis.Scale, axis.PlottedStep, precision: 6);
    }

    [Fact]
    public void ThirtyDayLabelsAreThinnedToTenAndShortOnesKeptWhole()
    {
        var days = Enumerable.Range(1, 30).Select(d => $"05-{d:00}").ToArray();

        var thinned = LlmGateway.Admin.Components.Shared.ChartAxis.ThinLabels(days);

        Assert.Equal(10, thinned.Count(l => l.Length > 0));
        Assert.Equal(days.Take(14), LlmGateway.Admin.Components.Shared.ChartAxis.ThinLabels([.. days.Take(14)], most: 14));
    }

    [Fact]
    public void ProjectedSpendExtrapolatesTheRateSoFarToTheEndOfTheMonth()
    {
        var resetAt = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var halfway = new DateTimeOffset(2026, 5, 16, 12, 0, 0, TimeSpan.Zero);

        Assert.Equal(40, BudgetWindow.ProjectedSpend(20, "1mo", resetAt, halfway)!.Value, precision: 6);
        Assert.Null(BudgetWindow.ProjectedSpend(20, null, resetAt, halfway));
        Assert.Equal(resetAt.AddDays(-7), BudgetWindow.Start("7d", resetAt));
    }

    [Fact]
    public void CsvExportQuotesCommasAndDefusesFormulas()
    {
        var csv = SpendCsv.Write([new SpendLogRow { RequestId = "r1", TeamId = "=HYPERLINK(\"x\")", Model = "a,b", Spend = 0.5, TotalMs = 12.5 }]);

        var row = csv.Split('\n')[1];
        Assert.StartsWith("r1,,,,\"'=HYPERLINK(\"\"x\"\")\",", row);
        Assert.Contains(",\"a,b\",", row);
        Assert.Contains(",0.5,", row);
    }
}
