namespace LlmGateway.Api.Caching;

/// <summary>Whose requests may share a cached answer.</summary>
public enum CacheScope
{
    /// <summary>Keys of one team share; a key without a team shares with nobody. The default.</summary>
    Team,
    /// <summary>Each key has its own cache.</summary>
    Key,
    /// <summary>Every caller shares one cache.</summary>
    Global,
}

/// <summary>Section <c>Gateway:Cache</c>: overrides of <c>litellm_settings.cache</c>/<c>cache_params</c> and the cache's own limits.</summary>
public sealed class ResponseCacheOptions
{
    /// <summary>Overrides <c>litellm_settings.cache</c>.</summary>
    public bool? Enabled { get; set; }
    /// <summary><c>team</c> (default), <c>key</c> or <c>global</c>; overrides <c>cache_params.scope</c>.</summary>
    public string? Scope { get; set; }
    /// <summary>Seconds; overrides <c>cache_params.ttl</c>.</summary>
    public int? Ttl { get; set; }
    /// <summary>Overrides <c>cache_params.namespace</c>.</summary>
    public string? Namespace { get; set; }
    /// <summary>Responses larger than this (uncompressed, as sent to the client) are not stored; default 1 MiB.</summary>
    public int MaxEntryBytes { get; set; } = 1024 * 1024;
    /// <summary>The longest lifetime a client's <c>ttl</c> control may ask for, seconds; default the configured ttl (clients may only lower it).</summary>
    public int? MaxTtl { get; set; }
    /// <summary>Bytes one scope (a team, a key without a team) may store per max-ttl window; 0 is unlimited. Default 256 MiB.</summary>
    public long MaxBytesPerTeam { get; set; } = 256L * 1024 * 1024;
    /// <summary>A Redis read or write slower than this counts as a miss; default 500 ms.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>The response cache's settings in force, resolved once at start-up.</summary>
public sealed record CacheSettings(bool Enabled, CacheScope Scope, TimeSpan Ttl, string? Namespace, int MaxEntryBytes, TimeSpan Timeout)
{
    /// <summary>The longest lifetime a client's <c>ttl</c> control may ask for.</summary>
    public TimeSpan MaxTtl { get; init; } = Ttl;

    /// <summary>Bytes one scope may store per <see cref="MaxTtl"/> window; 0 is unlimited.</summary>
    public long MaxBytesPerTeam { get; init; }

    public static CacheSettings Resolve(Configuration.LitellmSettings litellm, ResponseCacheOptions options)
    {
        var scopeText = options.Scope ?? litellm.CacheParams.Scope ?? "team";
        if (!Enum.TryParse<CacheScope>(scopeText, ignoreCase: true, out var scope) || int.TryParse(scopeText, out _))
        {
            var path = options.Scope is null ? "litellm_settings.cache_params.scope" : "Gateway:Cache:Scope";
            throw new Configuration.GatewayConfigException(path, $"'{scopeText}' is not a cache scope; use team, key or global");
        }

        var ttl = options.Ttl ?? litellm.CacheParams.Ttl;
        if (ttl < 1)
        {
            throw new Configuration.GatewayConfigException("Gateway:Cache:Ttl", "must be at least 1 second");
        }

        if (options.MaxEntryBytes < 1024)
        {
            throw new Configuration.GatewayConfigException("Gateway:Cache:MaxEntryBytes", "must be at least 1024");
        }

        if (options.MaxTtl < 1 || options.MaxBytesPerTeam < 0)
        {
            throw new Configuration.GatewayConfigException(options.MaxTtl < 1 ? "Gateway:Cache:MaxTtl" : "Gateway:Cache:MaxBytesPerTeam",
                "must be at least 1 second (MaxTtl) and not negative (MaxBytesPerTeam)");
        }

        return new CacheSettings(options.Enabled ?? litellm.Cache, scope, TimeSpan.FromSeconds(ttl),
            options.Namespace ?? litellm.CacheParams.Namespace, options.MaxEntryBytes, options.Timeout)
        {
            MaxTtl = TimeSpan.FromSeconds(options.MaxTtl ?? ttl),
            MaxBytesPerTeam = options.MaxBytesPerTeam,
        };
    }
}
