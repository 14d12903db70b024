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
        var draft = new Draft { Used = new List<(string, string)>() };
        if (!TryReadBody(body, ref draft, out error))
        {
            return false;
        }

        ReadHeaders(headers, ref draft);
        controls = draft.Used.Count == 0 ? None : new CacheControls
        {
            NoCache = draft.NoCache, NoStore = draft.NoStore, Ttl = draft.Ttl, MaxAge = draft.MaxAge, Namespace = draft.Namespace,
            Used = draft.Used,
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

    /// <summary>The controls while they are read (body, then header), before they become a <see cref="CacheControls"/>.</summary>
    private struct Draft
    {
        public bool NoCache;
        public bool NoStore;
        public TimeSpan? Ttl;
        public TimeSpan? MaxAge;
        public string? Namespace;
        public List<(string Name, string AsSent)> Used;
    }

    private static bool TryReadBody(JsonBody body, ref Draft draft, out GatewayError? error)
    {
        error = null;
        if (!body.TryGet("cache", out var property) || property.Kind == JsonTokenType.Null)
        {
            return true;
        }

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
                "no-cache" => TryBool(value, out draft.NoCache),
                "no-store" => TryBool(value, out draft.NoStore),
                "ttl" => TrySeconds(value, 1, out draft.Ttl),
                "s-maxage" => TrySeconds(value, 0, out draft.MaxAge),
                "namespace" => TryNamespace(value, out draft.Namespace),
                _ => true,
            };
            if (!ok)
            {
                error = GatewayError.InvalidRequest(
                    $"'cache.{control.Name}' has an invalid value: no-cache and no-store take booleans, ttl and s-maxage whole seconds, namespace a short string.",
                    $"cache.{control.Name}", "invalid_value");
                return false;
            }

            draft.Used.Add((control.Name, control.Name));
        }

        return true;
    }

    private static void ReadHeaders(IHeaderDictionary headers, ref Draft draft)
    {
        foreach (var header in headers.CacheControl)
        {
            if (header is null)
            {
                continue;
            }

            if (!CacheControlHeaderValue.TryParse(header, out var parsed))
            {
                // A directive it cannot parse (max-age=abc) must not take no-store and no-cache with it: those still apply
                // (CacheAndStreamAttackTests), the rest of the header is ignored.
                parsed = new CacheControlHeaderValue();
                foreach (var directive in header.Split(',', StringSplitOptions.TrimEntries))
                {
                    parsed.NoStore |= directive.Equals("no-store", StringComparison.OrdinalIgnoreCase);
                    parsed.NoCache |= directive.Equals("no-cache", StringComparison.OrdinalIgnoreCase);
                }
            }

            if (parsed.NoCache)
            {
                draft.NoCache = true;
                draft.Used.Add(("no-cache", "Cache-Control: no-cache"));
            }

            if (parsed.NoStore)
            {
                draft.NoStore = true;
                draft.Used.Add(("no-store", "Cache-Control: no-store"));
            }

            if (parsed.MaxAge is { } age)
            {
                draft.MaxAge = age;
                draft.Used.Add(("s-maxage", "Cache-Control: max-age"));
            }
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
