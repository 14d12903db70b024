using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Keys;

namespace LlmGateway.Api.Tags;

/// <summary>
/// Reads a request's tags (LiteLLM's body <c>tags</c> and <c>metadata.tags</c>, its <c>x-litellm-tags</c> header, and the
/// gateway's <c>x-gateway-tags</c>), bounded by <see cref="TagOptions"/>; adds the key's and team's; finds those in the tag table.
/// </summary>
public sealed class RequestTagging(TagDirectory directory, TagOptions options)
{
    public const string LitellmHeader = "x-litellm-tags";
    public const string GatewayHeader = "x-gateway-tags";

    public TagDirectory Directory { get; } = directory;

    /// <summary>The request's tags, kept in its features; or the 400 that names what is wrong with the ones it sent.</summary>
    public async Task<GatewayError?> ResolveAsync(HttpContext context, JsonBody body, KeyRecord? key, Configuration.ModelGroup group)
    {
        if ((key is null || key.Tags.Count + key.TeamTags.Count == 0) && !body.TryGet("tags", out _) && !body.TryGet("metadata", out _)
            && !context.Request.Headers.ContainsKey(LitellmHeader) && !context.Request.Headers.ContainsKey(GatewayHeader))
        {
            context.Features.Set(RequestTags.None); // the common request: no tags, nothing to allocate
            return null;
        }

        var named = new List<string>();
        var error = FromBody(body, named);
        FromHeader(context, LitellmHeader, named);
        FromHeader(context, GatewayHeader, named);
        var own = named.Distinct(StringComparer.Ordinal).ToList();
        error ??= own.Count > options.MaxTagsPerRequest
            ? GatewayError.InvalidRequest($"A request may name at most {options.MaxTagsPerRequest} tags; this one names {own.Count}.", "tags", "too_many_tags")
            : own.FirstOrDefault(t => t.Length > options.MaxTagLength) is { } tooLong
                ? GatewayError.InvalidRequest($"A tag may be at most {options.MaxTagLength} characters; one is {tooLong.Length}.", "tags", "invalid_value")
                : null;
        if (error is not null)
        {
            return error;
        }

        IReadOnlyList<string> names = key is null ? own : [.. key.Tags.Concat(key.TeamTags).Concat(own).Distinct(StringComparer.Ordinal)];
        if (names.Count > 0 && !await Directory.LoadedAsync(context.RequestAborted))
        {
            return new GatewayError(StatusCodes.Status503ServiceUnavailable, "service_unavailable",
                "The tag table has not been loaded yet (Postgres is unreachable), so the request's tag budgets cannot be checked; retry shortly.",
                null, "tags_unavailable") { RetryAfterSeconds = 5 };
        }

        var now = DateTimeOffset.UtcNow;
        var known = new List<TagRecord>();
        var scopes = new List<Limits.LimitScope>();
        foreach (var name in names)
        {
            if (Directory.TryGet(name, out var tag))
            {
                known.Add(tag);
                if (tag.ScopeAt(now) is { } scope)
                {
                    scopes.Add(scope);
                }
            }
        }

        var resolved = new RequestTags(names, known, scopes);
        context.Features.Set(resolved);
        return resolved.Refusing(group.Name, group.AccessGroups) is { } refusing
            ? new GatewayError(StatusCodes.Status403Forbidden, "permission_denied",
                $"Requests tagged '{refusing.Name}' may not use model '{group.Name}' (the tag's models: {string.Join(", ", refusing.Models)}).",
                "model", "model_not_allowed")
            : null;
    }

    private static GatewayError? FromBody(JsonBody body, List<string> named)
    {
        if (body.TryGet("tags", out var tags) && ReadList(body.RawMemory(tags), "tags", named) is { } error)
        {
            return error;
        }

        if (!body.TryGet("metadata", out var metadata) || metadata.Kind != JsonTokenType.StartObject)
        {
            return null;
        }

        using var document = JsonDocument.Parse(body.RawMemory(metadata));
        return document.RootElement.TryGetProperty("tags", out var nested) ? ReadList(nested, "metadata.tags", named) : null;
    }

    private static GatewayError? ReadList(ReadOnlyMemory<byte> raw, string param, List<string> named)
    {
        using var document = JsonDocument.Parse(raw);
        return ReadList(document.RootElement, param, named);
    }

    private static GatewayError? ReadList(JsonElement value, string param, List<string> named)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String))
        {
            return GatewayError.InvalidRequest($"'{param}' must be an array of strings.", param, "invalid_type");
        }

        foreach (var tag in value.EnumerateArray())
        {
            Add(tag.GetString()!, named);
        }

        return null;
    }

    private static void FromHeader(HttpContext context, string header, List<string> named)
    {
        foreach (var value in context.Request.Headers[header])
        {
            foreach (var tag in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Add(tag, named);
            }
        }
    }

    private static void Add(string tag, List<string> named)
    {
        var trimmed = tag.Trim();
        if (trimmed.Length > 0)
        {
            named.Add(trimmed);
        }
    }
}
