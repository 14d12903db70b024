using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.Testing;
using LlmGateway.Tests.AppHost;

namespace LlmGateway.Tests.Admin;

/// <summary>The Api as the browser tests' scenery: teams, keys and traffic made through its public HTTP surface.</summary>
public sealed class AdminGatewayCalls(AppHostFixture fixture) : IDisposable
{
    private readonly HttpClient api = fixture.App.CreateHttpClient("api");

    public async Task<string> CreateTeamAsync(string alias, double? maxBudget)
    {
        using var response = await SendAsync(HttpMethod.Post, "/team/new", AppHostFixture.MasterKey, new { team_alias = alias, max_budget = maxBudget });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("team_id").GetString()!;
    }

    /// <summary>A key for the team; returns its secret.</summary>
    public async Task<string> CreateKeyAsync(string teamId, string alias)
    {
        using var response = await SendAsync(HttpMethod.Post, "/key/generate", AppHostFixture.MasterKey, new { team_id = teamId, key_alias = alias });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    public async Task<JsonElement> TeamInfoAsync(string teamId)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/team/info?team_id={Uri.EscapeDataString(teamId)}", AppHostFixture.MasterKey, null);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("team_info");
    }

    public async Task<JsonElement> TeamListAsync()
    {
        using var response = await SendAsync(HttpMethod.Get, "/team/list", AppHostFixture.MasterKey, null);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public async Task<int> ChatAsync(string key) => (await ChatWithTimingAsync(key)).Status;

    /// <summary>A chat; returns the status and the <c>Server-Timing</c> header.</summary>
    public async Task<(int Status, string ServerTiming)> ChatWithTimingAsync(string key)
    {
        using var response = await SendAsync(HttpMethod.Post, "/v1/chat/completions", key,
            new { model = "claude-sonnet", messages = new[] { new { role = "user", content = "hello" } } });
        return ((int)response.StatusCode, response.Headers.TryGetValues("Server-Timing", out var values) ? string.Join(", ", values) : "");
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string key, object? body)
    {
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return api.SendAsync(request);
    }

    public void Dispose() => api.Dispose();
}
