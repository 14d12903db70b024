using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using LlmGateway.Tests.Admin;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace LlmGateway.Tests.AppHost;

/// <summary>A newcomer's first <c>dotnet run --project LlmGateway.AppHost</c>: no error, no noise, and where to go next.</summary>
[Collection(AppHostCollection.Name)]
public sealed class FirstRunTests(AppHostFixture fixture)
{
    [Fact]
    public async Task ACleanStartLogsNoDatabaseErrorInTheApiOrPostgres()
    {
        var api = await LogsAsync("api");
        var postgres = await LogsAsync("postgres");

        Assert.Contains(api, line => line.Contains("Database schema is up to date"));
        Assert.DoesNotContain(api, line => line.Contains("An error occurred using the connection"));
        var missingDatabase = postgres.Where(line => line.Contains("database \"gatewaydb\" does not exist", StringComparison.Ordinal)).ToList();
        Assert.True(missingDatabase.Count == 0, string.Join('\n', missingDatabase));
    }

    [Fact]
    public async Task CallsFromTheAdminToTheApiDoNotLogRetryChatter()
    {
        // Signing in loads the Overview, which makes half a dozen management calls through the resilience pipeline.
        await using var browser = await BrowserSession.StartAsync();
        await AdminSignIn.SignInAsync(browser.Page, fixture.App.GetEndpoint("admin", "http"), AppHostFixture.MasterKey);
        await Microsoft.Playwright.Assertions.Expect(browser.Page.GetByTestId("api-ready")).ToHaveTextAsync("Ready");

        var admin = await LogsAsync("admin");
        var api = await LogsAsync("api");

        // Information lines of the retry pipeline and the HttpClient handlers are gone; a failed attempt still warns.
        Assert.DoesNotContain(admin.Concat(api), line => line.Contains("info", StringComparison.Ordinal)
            && (line.Contains(": Polly[", StringComparison.Ordinal) || line.Contains(": System.Net.Http.HttpClient.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TheAppHostConsoleShowsTheAdminUrlAndHowToReadTheMasterKeyButNotTheKey()
    {
        var admin = fixture.App.GetEndpoint("admin", "http").ToString().TrimEnd('/');
        string? hint = null;
        for (var waited = 0; hint is null && waited < 300; waited++)
        {
            hint = fixture.HostLog.Lines.FirstOrDefault(line => line.Contains("Admin site:", StringComparison.Ordinal));
            if (hint is null)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        Assert.NotNull(hint);
        Assert.Contains(admin, hint);
        Assert.Contains("user-secrets", hint);
        Assert.Contains("Parameters:master-key", hint);
        Assert.DoesNotContain(fixture.HostLog.Lines, line => line.Contains(AppHostFixture.MasterKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheFirstRequestWithANewKeyFindsTheScriptsLoadedAndTheLedgerQueryCompiled()
    {
        // Before the warm-up the first request spent ~500 ms in `limits`: a NOSCRIPT round trip and EF's first
        // compilation of the seeding query. Both now happen at start-up, which this checks by what happened (a
        // wall-clock bound on `limits` failed on a loaded CI machine).
        var ct = TestContext.Current.CancellationToken;
        for (var waited = 0; !(await LogsAsync("api")).Any(line => line.Contains("Limits warmed up", StringComparison.Ordinal)); waited++)
        {
            Assert.True(waited < 60, "the api never logged that the limits were warmed up");
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync((await fixture.App.GetConnectionStringAsync("redis", ct))!);
        foreach (var script in new[] { LlmGateway.Api.Limits.LimitScripts.Admit, LlmGateway.Api.Limits.LimitScripts.Settle })
        {
            var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(script.Text)));
            var exists = (RedisResult[])(await redis.GetDatabase().ExecuteAsync("SCRIPT", "EXISTS", sha))!;
            Assert.Equal(1, (int)exists[0]);
        }

        var noScriptBefore = await NoScriptErrorsAsync(redis);
        using var api = new AdminGatewayCalls(fixture);
        var teamId = await api.CreateTeamAsync($"first-{Guid.NewGuid():N}"[..14], 10);
        var key = await api.CreateKeyAsync(teamId, "first-request");
        var (status, serverTiming) = await api.ChatWithTimingAsync(key);

        Assert.Equal(200, status);
        TestContext.Current.TestOutputHelper?.WriteLine($"first request with a new key: {serverTiming}");
        Assert.Equal(noScriptBefore, await NoScriptErrorsAsync(redis));
    }

    /// <summary>How many NOSCRIPT errors Redis has answered (<c>INFO errorstats</c>).</summary>
    private static async Task<long> NoScriptErrorsAsync(ConnectionMultiplexer redis)
    {
        var info = (string)(await redis.GetDatabase().ExecuteAsync("INFO", "errorstats"))!;
        var match = System.Text.RegularExpressions.Regex.Match(info, @"errorstat_NOSCRIPT:count=(\d+)");
        return match.Success ? long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>The resource's console lines so far (the backlog), read until the stream has been quiet for a moment.</summary>
    private async Task<List<string>> LogsAsync(string resourceName)
    {
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState(resourceName, out var state), $"no resource {resourceName}");
        var service = fixture.App.Services.GetRequiredService<ResourceLoggerService>();
        var lines = new List<string>();
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        quiet.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await foreach (var batch in service.WatchAsync(state.ResourceId).WithCancellation(quiet.Token))
            {
                lines.AddRange(batch.Select(line => line.Content));
                quiet.CancelAfter(TimeSpan.FromSeconds(2));
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
        }

        return lines;
    }
}
