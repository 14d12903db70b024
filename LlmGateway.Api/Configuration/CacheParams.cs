namespace LlmGateway.Api.Configuration;

/// <summary>
/// <c>litellm_settings.cache_params</c>. <see cref="Host"/>, <see cref="Port"/> and <see cref="Password"/> are
/// accepted for compatibility, but when Aspire supplies the <c>redis</c> connection string, that string wins.
/// </summary>
public sealed class CacheParams
{
    /// <summary>Cache kind as given, e.g. <c>redis</c> or <c>local</c>.</summary>
    public string? Type { get; init; }
    public string? Host { get; init; }
    public int? Port { get; init; }
    /// <summary>Secret: never log it.</summary>
    public string? Password { get; init; }
    /// <summary>Time to live of a cached response; <c>ttl</c> seconds, default 3600.</summary>
    public int Ttl { get; init; } = 3600;
    public string? Namespace { get; init; }
    /// <summary>Who shares cached answers: <c>team</c> (default), <c>key</c> or <c>global</c> (docs/caching.md).</summary>
    public string? Scope { get; init; }

    public override string ToString() => $"cache {Type ?? "(default)"}, ttl {Ttl}s";
}
