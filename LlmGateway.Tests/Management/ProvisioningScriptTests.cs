using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Management;

/// <summary>The blueprint's provisioning script (docs/provision_team.py) runs against the gateway as LiteLLM users wrote it.</summary>
public sealed class ProvisioningScriptTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private const string Python = "/usr/bin/python3";

    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheBlueprintsPythonScriptRunsUnchangedAndItsKeyWorks()
    {
        Assert.True(File.Exists(Python), "python3 is missing: ./test.sh installs python3 and python3-httpx");
        var script = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "docs", "provision_team.py"), Ct);
        // Only the two settings the blueprint tells users to edit are changed.
        script = script
            .Replace("GATEWAY_URL = \"http://localhost:4000\"", $"GATEWAY_URL = \"{fixture.Api.BaseAddress.ToString().TrimEnd('/')}\"")
            .Replace("MASTER_KEY = \"sk-master-...\"", $"MASTER_KEY = \"{GatewayApiHost.MasterKey}\"");
        script += "\nimport asyncio, json\nprint(json.dumps(asyncio.run(create_team_and_key(\"py-team\", 50.0))))\n";
        var path = Path.Combine(Path.GetTempPath(), $"provision-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(path, script, Ct);
        try
        {
            var output = await LocalProcess.RunAsync(Python, [path], TimeSpan.FromMinutes(1));
            var result = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
            await AssertProvisionedAsync(result.GetProperty("team_id").GetString()!, result.GetProperty("api_key").GetString()!, "py-team");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task TheSameCallsFromCSharpProvisionATeamAndAKey()
    {
        using var client = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        using var team = await client.PostAsJsonAsync("/team/new",
            new { team_alias = "cs-team", max_budget = 50.0, rpm_limit = 100, models = Array.Empty<string>(), budget_duration = "1mo" }, Ct);
        var teamId = (await team.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("team_id").GetString()!;
        using var key = await client.PostAsJsonAsync("/key/generate",
            new { team_id = teamId, key_alias = "cs-team-production", max_budget = 50.0, rpm_limit = 100 }, Ct);
        var apiKey = (await key.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("key").GetString()!;

        await AssertProvisionedAsync(teamId, apiKey, "cs-team");
    }

    private async Task AssertProvisionedAsync(string teamId, string apiKey, string teamName)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var team = (await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={teamId}", Ct)).GetProperty("team_info");
        Assert.Equal(teamName, team.GetProperty("team_alias").GetString());
        Assert.Equal(50m, team.GetProperty("max_budget").GetDecimal());
        Assert.Equal("1mo", team.GetProperty("budget_duration").GetString());
        Assert.Equal(100, team.GetProperty("rpm_limit").GetInt32());
        var nextMonth = new DateTimeOffset(DateTime.UtcNow.Year, DateTime.UtcNow.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        Assert.Equal(nextMonth, team.GetProperty("budget_reset_at").GetDateTimeOffset());

        var key = (await admin.GetFromJsonAsync<JsonElement>($"/key/info?key={apiKey}", Ct)).GetProperty("info");
        Assert.Equal($"{teamName}-production", key.GetProperty("key_alias").GetString());
        Assert.Equal(teamId, key.GetProperty("team_id").GetString());
        Assert.Equal(100, key.GetProperty("rpm_limit").GetInt32());

        using var client = fixture.Api.CreateLoopbackClient();
        using var response = await client.SendAsync(GovernanceFixture.Chat(apiKey), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "LlmGateway.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("LlmGateway.sln not found above the test folder");
    }
}
