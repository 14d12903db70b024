using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests.Infrastructure;

/// <summary>The management API calls the tests set up with, through a client that carries the master key.</summary>
public static class ManagementCalls
{
    /// <summary>Creates a team, then a key in it (<paramref name="key"/>'s fields plus the team id); returns (team id, raw key).</summary>
    public static async Task<(string TeamId, string Key)> CreateTeamAndKeyAsync(HttpClient admin, object team, object? key = null, CancellationToken ct = default)
    {
        using var teamResponse = await admin.PostAsJsonAsync("/team/new", team, ct);
        teamResponse.EnsureSuccessStatusCode();
        var teamId = (await teamResponse.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("team_id").GetString()!;
        var keyBody = JsonSerializer.SerializeToNode(key ?? new { })!.AsObject();
        keyBody["team_id"] = teamId;
        using var keyResponse = await admin.PostAsJsonAsync("/key/generate", keyBody, ct);
        keyResponse.EnsureSuccessStatusCode();
        return (teamId, (await keyResponse.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("key").GetString()!);
    }

    /// <summary>POSTs a management call that must succeed (the failure's status and body in the assertion) and returns its answer.</summary>
    public static async Task<JsonElement> PostOkAsync(HttpClient admin, string path, object body)
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await admin.PostAsJsonAsync(path, body, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
