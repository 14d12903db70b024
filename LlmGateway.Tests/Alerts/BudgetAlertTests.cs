using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Api.Alerts;
using LlmGateway.Api.Data.Entities;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Tests.Alerting;

public sealed class BudgetAlertTests(AlertsFixture fixture) : IClassFixture<AlertsFixture>
{
    [Fact]
    public async Task ATeamGetsOneAlertAtEightyPercentAndOneAtItsBudgetOnEveryChannelAndNoDuplicates()
    {
        var (teamId, alias, key) = await fixture.CreateTeamAsync(0.05m, alertEmails: ["lead@team.example"]);

        await fixture.SpendAsync(key, 4);
        await AlertsFixture.WaitUntilAsync(() => fixture.Receiver.Slack(alias).Count == 1 && fixture.Receiver.Webhook(alias).Count == 1
            && fixture.Smtp.Containing(alias).Count == 1, "the 80% alert on Slack, the webhook and email");
        Assert.Contains("80%", fixture.Receiver.Slack(alias)[0]);
        var hook = JsonDocument.Parse(fixture.Receiver.Webhook(alias)[0]).RootElement;
        Assert.Equal("budget", hook.GetProperty("type").GetString());
        Assert.Equal("team", hook.GetProperty("scope").GetString());
        Assert.Equal(teamId, hook.GetProperty("id").GetString());
        Assert.Equal(alias, hook.GetProperty("name").GetString());
        Assert.Equal(0.8m, hook.GetProperty("threshold").GetDecimal());
        Assert.Equal(0.04m, hook.GetProperty("spend").GetDecimal());
        Assert.Equal(0.05m, hook.GetProperty("budget").GetDecimal());
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero), hook.GetProperty("period_start").GetDateTimeOffset());
        Assert.Equal(new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1), hook.GetProperty("resets_at").GetDateTimeOffset());
        Assert.True(hook.TryGetProperty("message", out _) && hook.TryGetProperty("sent_at", out _));
        var mail = fixture.Smtp.Containing(alias)[0];
        Assert.Contains("lead@team.example", mail.Recipients);
        Assert.Contains(AlertsFixture.OpsEmail, mail.Recipients);
        Assert.Contains("80%", mail.Text);

        await fixture.SpendAsync(key, 1);
        await AlertsFixture.WaitUntilAsync(() => fixture.Receiver.Slack(alias).Count == 2 && fixture.Receiver.Webhook(alias).Count == 2
            && fixture.Smtp.Containing(alias).Count == 2, "the 100% alert on Slack, the webhook and email");
        Assert.Contains("reached its budget", fixture.Receiver.Slack(alias)[1]);
        Assert.Equal(1.0m, JsonDocument.Parse(fixture.Receiver.Webhook(alias)[1]).RootElement.GetProperty("threshold").GetDecimal());

        // Past the budget the gateway refuses spend; evaluating again, on both replicas at once, adds nothing.
        foreach (var _ in Enumerable.Range(0, 3))
        {
            var inserted = await Task.WhenAll(Evaluator(fixture.Api).EvaluateAsync(Ct), Evaluator(fixture.Replica).EvaluateAsync(Ct));
            Assert.Equal(0, inserted.Sum());
        }

        var alerts = await fixture.AlertsAsync(teamId);
        Assert.Equal([1.0m, 0.8m], alerts.Select(a => a.GetProperty("threshold").GetDecimal()));
        Assert.All(alerts, a => Assert.Equal("delivered", a.GetProperty("status").GetString()));
        Assert.Equal(2, fixture.Receiver.Slack(alias).Count);
        Assert.Equal(2, fixture.Receiver.Webhook(alias).Count);
        Assert.Equal(2, fixture.Smtp.Containing(alias).Count);
    }

    [Fact]
    public async Task TwoReplicasEvaluatingAtOnceStillRecordOneAlertPerThreshold()
    {
        var (teamId, alias, key) = await fixture.CreateTeamAsync(0.05m);
        await fixture.SpendAsync(key, 5);

        var runs = Enumerable.Range(0, 6).Select(i => Evaluator(i % 2 == 0 ? fixture.Api : fixture.Replica).EvaluateAsync(Ct));
        var inserted = (await Task.WhenAll(runs)).Sum();

        Assert.InRange(inserted, 0, 2);
        var alerts = await fixture.AlertsAsync(teamId);
        Assert.Equal(2, alerts.Count(a => a.GetProperty("type").GetString() == "budget"));
        await AlertsFixture.WaitUntilAsync(() => fixture.Receiver.Slack(alias).Count == 2, "both alerts on Slack");
        Assert.Equal(2, fixture.Receiver.Slack(alias).Count);
    }

    [Fact]
    public async Task TheSameThresholdInsertedByTwoReplicasAtOnceIsStoredOnce()
    {
        var scopeId = Guid.NewGuid().ToString("N");
        Alert Make() => new()
        {
            Id = Guid.NewGuid(), Type = "budget", Severity = "warning", Scope = "team", ScopeId = scopeId, Threshold = 0.8m,
            PeriodStart = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), Message = "m", CreatedAt = DateTimeOffset.UtcNow,
            Status = AlertStatus.NotSent,
        };

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? fixture.Api : fixture.Replica).Services.GetRequiredService<AlertStore>().TryInsertAsync(Make(), Ct)));

        Assert.Equal(1, results.Count(inserted => inserted));
    }

    [Fact]
    public async Task AFailingWebhookIsDeliveredOnRetryWithTheAttemptsRecorded()
    {
        var (teamId, alias, key) = await fixture.CreateTeamAsync(0.05m);
        fixture.Receiver.FailWebhook(alias, 2);

        await fixture.SpendAsync(key, 4);

        await AlertsFixture.WaitUntilAsync(() => fixture.Receiver.Webhook(alias).Count == 1, "the webhook delivery after two failures");
        Assert.Equal(2, fixture.Receiver.WebhookFailures(alias));
        JsonElement alert = default;
        await AlertsFixture.WaitUntilAsync(async () =>
        {
            alert = (await fixture.AlertsAsync(teamId)).Single();
            return alert.GetProperty("status").GetString() == "delivered";
        }, "the alert row marked delivered");
        Assert.Equal(3, alert.GetProperty("attempts").GetInt32());
        Assert.True(alert.GetProperty("delivered").GetBoolean());
        Assert.Contains("webhook: HTTP 500", alert.GetProperty("last_error").GetString());
        Assert.Equal(["email", "slack", "webhook"], alert.GetProperty("delivered_channels").EnumerateArray().Select(c => c.GetString()).Order());
        // Channels that succeeded are not sent again on the retries.
        Assert.Single(fixture.Receiver.Slack(alias));
        Assert.Single(fixture.Smtp.Containing(alias));
    }

    [Fact]
    public async Task ASoftBudgetCrossingAlertsOncePerPeriod()
    {
        var (teamId, alias, key) = await fixture.CreateTeamAsync(1.00m, softBudget: 0.02m);

        await fixture.SpendAsync(key, 3);

        await AlertsFixture.WaitUntilAsync(() => fixture.Receiver.Slack(alias).Count == 1, "the soft budget alert");
        await Evaluator(fixture.Api).EvaluateAsync(Ct);
        var alerts = await fixture.AlertsAsync(teamId);
        var soft = Assert.Single(alerts);
        Assert.Equal("soft_budget", soft.GetProperty("type").GetString());
        Assert.Contains("soft budget", soft.GetProperty("message").GetString());
    }

    [Fact]
    public async Task AlertsAreListedNewestFirstForTheMasterKeyAndRefusedToVirtualKeys()
    {
        var (teamId, _, key) = await fixture.CreateTeamAsync(0.05m);
        await fixture.SpendAsync(key, 5);
        await AlertsFixture.WaitUntilAsync(async () => (await fixture.AlertsAsync(teamId)).Count == 2, "two alerts");

        var alerts = await fixture.AlertsAsync(teamId);
        var created = alerts.Select(a => a.GetProperty("created_at").GetDateTimeOffset()).ToList();
        Assert.Equal(created.OrderDescending(), created);
        Assert.All(alerts, a => Assert.Equal(teamId, a.GetProperty("team_id").GetString()));

        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var limited = await admin.GetFromJsonAsync<JsonElement>($"/alerts?team_id={teamId}&limit=1", Ct);
        Assert.Equal(1, limited.GetProperty("alerts").GetArrayLength());

        using var virtualKey = fixture.Api.CreateLoopbackClient(key);
        using var forbidden = await virtualKey.GetAsync("/alerts", Ct);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        using var anonymous = fixture.Api.CreateLoopbackClient();
        using var unauthorized = await anonymous.GetAsync("/alerts", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    [Fact]
    public async Task ATestAlertReachesEveryChannelAndReportsEachOne()
    {
        var before = fixture.Receiver.Slack("test alert").Count;
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);

        using var response = await admin.PostAsJsonAsync("/alerts/test", new { }, Ct);

        response.EnsureSuccessStatusCode();
        var result = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(result.GetProperty("delivered").GetBoolean());
        var channels = result.GetProperty("channels").EnumerateArray().ToList();
        Assert.Equal(["email", "slack", "webhook"], channels.Select(c => c.GetProperty("channel").GetString()).Order());
        Assert.All(channels, c => Assert.True(c.GetProperty("delivered").GetBoolean()));
        Assert.Equal(before + 1, fixture.Receiver.Slack("test alert").Count);
        Assert.NotEmpty(fixture.Receiver.Webhook("\"type\":\"test\""));
        Assert.NotEmpty(fixture.Smtp.Containing("test alert"));
        Assert.Contains(fixture.Smtp.Containing("test alert"), m => m.Recipients.Contains(AlertsFixture.OpsEmail));
    }

    [Fact]
    public async Task AlertSettingsCannotBeChangedAtRuntimeAndSaySo()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);

        using var response = await admin.PostAsJsonAsync("/alerts/settings", new { webhook_url = "https://example.test/hook" }, Ct);

        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error");
        Assert.Contains("SLACK_WEBHOOK_URL", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ADeploymentCoolingDownSendsOneLlmExceptionsAlertPerQuietPeriodAcrossReplicas()
    {
        var deployment = new LlmGateway.Api.Configuration.DeploymentConfig
        {
            ModelName = AlertsFixture.Model, Id = $"dep-{Guid.NewGuid():N}"[..16], Index = 0,
            Provider = LlmGateway.Api.Configuration.ProviderKind.OpenAI, ProviderModel = "gpt-test",
        };
        var failure = new LlmGateway.Api.Providers.ProviderFailure(LlmGateway.Api.Providers.FailureKind.ServerError, 500, "upstream said: secret prompt text");

        foreach (var host in new[] { fixture.Api, fixture.Replica, fixture.Api, fixture.Replica })
        {
            host.Services.GetRequiredService<LlmGateway.Api.Routing.IDeploymentAlertSink>().DeploymentCooledDown(deployment, failure, TimeSpan.FromSeconds(30));
        }

        await AlertsFixture.WaitUntilAsync(() => fixture.Receiver.Slack(deployment.Id).Count == 1, "the llm_exceptions alert on Slack");
        await AlertsFixture.WaitUntilAsync(() => fixture.Receiver.Webhook(deployment.Id).Count == 1, "the llm_exceptions alert on the webhook");
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var page = await admin.GetFromJsonAsync<JsonElement>("/alerts?limit=1000", Ct);
        var rows = page.GetProperty("alerts").EnumerateArray().Where(a => a.GetProperty("scope_id").GetString() == deployment.Id).ToList();
        Assert.Equal("llm_exceptions", Assert.Single(rows).GetProperty("type").GetString());
        Assert.DoesNotContain("secret prompt text", fixture.Receiver.Slack(deployment.Id)[0]);
    }

    [Fact]
    public async Task SecretsNeverAppearInResponsesOrLogs()
    {
        var (teamId, alias, key) = await fixture.CreateTeamAsync(0.05m);
        fixture.Receiver.FailWebhook(alias, 1);
        await fixture.SpendAsync(key, 4);
        await AlertsFixture.WaitUntilAsync(() => fixture.Receiver.Webhook(alias).Count == 1, "the retried webhook delivery");
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);

        var page = await admin.GetStringAsync($"/alerts?team_id={teamId}", Ct);
        using var test = await admin.PostAsJsonAsync("/alerts/test", new { }, Ct);
        var testBody = await test.Content.ReadAsStringAsync(Ct);

        var settings = JsonDocument.Parse(page).RootElement.GetProperty("settings");
        Assert.Equal("http://127.0.0.1/…", settings.GetProperty("webhook_url").GetString());
        Assert.Equal("http://127.0.0.1/…", settings.GetProperty("generic_webhook_url").GetString());
        Assert.True(fixture.Smtp.Logins > 0, "the SMTP password was used");
        var logs = string.Join("\n", fixture.Logs.Lines);
        Assert.Contains("HTTP 500", logs);
        foreach (var secret in AlertsFixture.Secrets)
        {
            Assert.DoesNotContain(secret, page);
            Assert.DoesNotContain(secret, testBody);
            Assert.DoesNotContain(secret, logs);
        }
    }

    [Fact]
    public void SlackReadsItsWebhookFromSlackWebhookUrlAndEmailWithoutAnSmtpHostIsReported()
    {
        var config = new LlmGateway.Api.Configuration.GatewayConfig
        {
            GeneralSettings = new LlmGateway.Api.Configuration.GeneralSettings { Alerting = ["slack", "email", "pager"] },
        };

        var setup = new AlertSetup(config, new AlertOptions(), name => name == "SLACK_WEBHOOK_URL" ? "https://hooks.slack.com/services/X/Y/Z" : null);

        Assert.Equal(["slack"], setup.UsableChannels);
        Assert.Equal("https://hooks.slack.com/…", AlertSetup.Mask("https://hooks.slack.com/services/X/Y/Z"));
        var problems = setup.Problems().ToList();
        Assert.Contains(problems, p => p.Contains("Gateway:Alerts:Smtp:Host", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'pager'", StringComparison.Ordinal));
        Assert.Equal([0.8m, 1.0m], new AlertOptions().Thresholds);
        Assert.True(setup.Sends("budget_alerts"));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static BudgetAlertEvaluator Evaluator(GatewayApiHost host) => host.Services.GetRequiredService<BudgetAlertEvaluator>();
}
