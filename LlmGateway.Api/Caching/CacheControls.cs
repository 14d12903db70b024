using System.Text.Json;
using LlmGateway.Api.Contracts;
using Microsoft.Net.Http.Headers;

namespace LlmGateway.Api.Caching;

/// <summary>
/// A request's own cache controls, as LiteLLM clients send them: the body's <c>cache</c> object
/// (<c>no-cache</c>, <c>no-store</c>, <c>ttl</c>, <c>s-maxage</c>, <c>namespace</c>) and the <c>Cache-Control</c>
/// header (<c>no-cache</c>, <c>no-store</c>, <c>max-age</c> = <c>s-maxage</c>).
/// </summary>
public sealed record CacheControls
{
    public static readonly CacheControls None = new();

    /// <summary>Do not answer from the cache (the fresh answer is still stored).</summary>
    public bool NoCache { get; init; }
    /// <summary>Do not store the answer.</summary>
    public bool NoStore { get; init; }
    public TimeSpan? Ttl { get; init; }
    /// <summary>Accept only a cached answer at most this old.</summary>
    public TimeSpan? MaxAge { get; init; }
    public string? Namespace { get; init; }
    /// <summary>Each control used, as (name in <c>allowed_cache_controls</c>, as the client wrote it).</summary>
    public IReadOnlyList<(string Name, string AsSent)> Used { get; init; } = [];

    public static bool TryRead(JsonBody body, IHeaderDictionary headers, out CacheControls controls, out GatewayError? error)
    {
        controls = None;
        error = null;
        var used = new List<(string, string)>();
        bool noCache = false, noStore = false;
        TimeSpan? ttl = null, maxAge = null;
        string? ns = null;
        if (body.TryGet("cache", out var property) && property.Kind != JsonTokenType.Null)
        {
            if (property.Kind != JsonTokenType.StartObject)
            {
                error = BodyField.WrongType("cache", "an object", property.Kind);
                return false;
            }

            using var document = JsonDocument.Parse(body.RawMemory(property));
            foreach (var control in document.RootElement.EnumerateObject())
            {
                var value = control.Value;
                var ok = control.Name switch
                {
                    "no-cache" => TryBool(value, out noCache),
                    "no-store" => TryBool(value, out noStore),
                    "ttl" => TrySeconds(value, 1, out ttl),
                    "s-maxage" => TrySeconds(value, 0, out maxAge),
                    "namespace" => TryNamespace(value, out ns),
                    _ => true,
                };
                if (!ok)
                {
                    error = GatewayError.InvalidRequest(
                        $"'cache.{control.Name}' has an invalid value: no-cache and no-store take booleans, ttl and s-maxage whole seconds, namespace a short string.",
                        $"cache.{control.Name}", "invalid_value");
                    return false;
                }

                used.Add((control.Name, control.Name));
            }
        }

        foreach (var header in headers.CacheControl)
        {
            if (header is null || !CacheControlHeaderValue.TryParse(header, out var parsed))
            {
                continue;
            }

            if (parsed.NoCache)
            {
                noCache = true;
                used.Add(("no-cache", "Cache-Control: no-cache"));
            }

            if (parsed.NoStore)
            {
                noStore = true;
                used.Add(("no-store", "Cache-Control: no-store"));
            }

            if (parsed.MaxAge is { } age)
            {
                maxAge = age;
                used.Add(("s-maxage", "Cache-Control: max-age"));
            }
        }

        controls = used.Count == 0 ? None : new CacheControls
        {
            NoCache = noCache, NoStore = noStore, Ttl = ttl, MaxAge = maxAge, Namespace = ns, Used = used,
        };
        return true;
    }

    /// <summary>LiteLLM's rule: a key with a non-empty <c>allowed_cache_controls</c> may use only those; an empty list allows all.</summary>
    public GatewayError? Check(Keys.KeyRecord? key)
    {
        if (key is null || key.AllowedCacheControls.Count == 0)
        {
            return null;
        }

        foreach (var (name, asSent) in Used)
        {
            if (!key.AllowedCacheControls.Contains(name))
            {
                return new GatewayError(StatusCodes.Status403Forbidden, "permission_denied",
                    $"The key '{key.DisplayName}' is not allowed to set the cache control '{asSent}'. "
                    + $"It may use: {string.Join(", ", key.AllowedCacheControls)}. An admin can change the key's allowed_cache_controls.",
                    "cache", "cache_control_not_allowed");
            }
        }

        return null;
    }

    /// <summary>The key's <c>allowed_cache_controls</c>, kept in its metadata JSON (so no schema change).</summary>
    public static IReadOnlyList<string> AllowedIn(string? metadataJson)
    {
        if (string.IsNullOrEmpty(metadataJson) || !metadataJson.Contains("allowed_cache_controls", StringComparison.Ordinal))
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(metadataJson);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("allowed_cache_controls", out var list)
                && list.ValueKind == JsonValueKind.Array
                ? [.. list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static bool TryBool(JsonElement value, out bool result)
    {
        result = value.ValueKind == JsonValueKind.True;
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False;
    }

    private static bool TrySeconds(JsonElement value, long min, out TimeSpan? result)
    {
        result = null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds) || seconds < min || seconds > 365 * 24 * 3600)
        {
            return false;
        }

        result = TimeSpan.FromSeconds(seconds);
        return true;
    }

    private static bool TryNamespace(JsonElement value, out string? result)
    {
        result = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return result is { Length: > 0 and <= 128 } && !result.Any(char.IsWhiteSpace);
    }
}
