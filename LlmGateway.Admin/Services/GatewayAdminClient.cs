using System.Net.Http.Json;
using Microsoft.Extensions.Options;

namespace LlmGateway.Admin.Services;

/// <summary>Typed client for the Api's management API. The admin never touches the database.</summary>
public sealed class GatewayAdminClient(HttpClient http, IOptions<GatewayAdminOptions> options)
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
    };

    public sealed record Readiness(string Status, string Db, string Cache, string Version, DateTimeOffset LastUpdated);

    /// <summary>The Api's readiness; an unreachable Api is reported as such, never thrown.</summary>
    public async Task<(bool Ready, Readiness? Details, string? Error)> GetReadinessAsync(CancellationToken ct = default)
    {
        try
        {
            using var response = await http.GetAsync("/health/readiness", ct);
            var details = await response.Content.ReadFromJsonAsync<Readiness>(Json, ct);
            return (response.IsSuccessStatusCode, details, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return (false, null, $"The Api could not be reached: {ex.Message}");
        }
    }

    internal HttpRequestMessage Authorized(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        if (!string.IsNullOrEmpty(options.Value.MasterKey))
        {
            request.Headers.Authorization = new("Bearer", options.Value.MasterKey);
        }

        return request;
    }
}
