using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace LlmGateway.Admin.Services;

/// <summary>
/// Typed client for the Api's management API; the admin never touches the database. The master key is
/// attached here, server-side, and never reaches the browser. Every call answers an <see cref="ApiResult{T}"/>.
/// </summary>
public sealed partial class GatewayAdminClient(HttpClient http, IOptions<GatewayAdminOptions> options)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
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
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
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

    private Task<ApiResult<T>> GetAsync<T>(string path, CancellationToken ct) => SendAsync<T>(HttpMethod.Get, path, null, ct);

    private Task<ApiResult<T>> PostAsync<T>(string path, object body, CancellationToken ct) => SendAsync<T>(HttpMethod.Post, path, body, ct);

    private async Task<ApiResult<T>> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = Authorized(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        try
        {
            using var response = await http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(ct);
                var error = response.StatusCode == HttpStatusCode.NotFound && ApiErrorMessage.IsBare(text)
                    ? $"The Api does not offer {method} {path.Split('?')[0]} (404)."
                    : ApiErrorMessage.From(response.StatusCode, text);
                return ApiResult<T>.Failure(error, response.StatusCode);
            }

            if (typeof(T) == typeof(bool))
            {
                return ApiResult<T>.Success((T)(object)true, response.StatusCode);
            }

            var value = await response.Content.ReadFromJsonAsync<T>(Json, ct);
            return value is null
                ? ApiResult<T>.Failure($"The Api answered {method} {path} with an empty body.", response.StatusCode)
                : ApiResult<T>.Success(value, response.StatusCode);
        }
        catch (JsonException ex)
        {
            return ApiResult<T>.Failure($"The Api's answer to {method} {path} could not be read: {ex.Message}");
        }
        catch (HttpRequestException ex)
        {
            return ApiResult<T>.Failure($"The Api could not be reached: {ex.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return ApiResult<T>.Failure($"The Api did not answer {method} {path} in time.");
        }
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrWhiteSpace(p.Value))
            .Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!.Trim())}")
            .ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }

    private static string? Date(DateTimeOffset? value) =>
        value?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
