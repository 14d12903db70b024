using System.Net.Http.Json;
using System.Text.Json;

namespace LlmGateway.Tests.Infrastructure;

/// <summary>Management calls that must succeed, answering their JSON (a failure names the path, status and body).</summary>
public static class AdminCalls
{
    public static Task<JsonElement> PostAsync(HttpClient admin, string path, object body) => SendAsync(admin, HttpMethod.Post, path, body);

    public static async Task<JsonElement> SendAsync(HttpClient admin, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await admin.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The error envelope of a call that must fail: (status, param, message).</summary>
    public static async Task<(int Status, string? Param, string Message)> FailAsync(HttpClient admin, string path, object body)
    {
        using var response = await admin.PostAsJsonAsync(path, body, TestContext.Current.CancellationToken);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("error");
        return ((int)response.StatusCode, error.GetProperty("param").GetString(), error.GetProperty("message").GetString() ?? "");
    }
}
