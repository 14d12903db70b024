namespace LlmGateway.Api.Keys;

/// <summary>How wrong keys are kept cheap (section <c>Gateway:Keys</c>, docs/security.md).</summary>
public sealed class KeyCacheOptions
{
    /// <summary>Unknown key hashes remembered (least recently used forgotten first); default 10,000.</summary>
    public int NegativeCacheSize { get; set; } = 10_000;

    /// <summary>Postgres lookups per second, per replica, of keys the directory of known keys does not hold; default 5.</summary>
    public int UnknownKeyLookupsPerSecond { get; set; } = 5;

    /// <summary>How often the directory of known key hashes is reloaded from Postgres; default 60 s.</summary>
    public double DirectoryRefreshSeconds { get; set; } = 60;
}
