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

    /// <summary>How long a key record is served from memory before Postgres is asked again (default 5 s).</summary>
    public double CacheTtlSeconds { get; set; } = 5;

    /// <summary>
    /// How long past its TTL a record is still served while Postgres cannot confirm it (default 120 s); after that the key's
    /// requests get a 503 until Postgres answers, so a key blocked or deleted while this replica missed the change stops.
    /// </summary>
    public double StaleGraceSeconds { get; set; } = 120;

    /// <summary>How often the replica checks that its subscription to key changes still receives (default 5 s).</summary>
    public double SubscriptionProbeSeconds { get; set; } = 5;
}

/// <summary>Postgres could not say whether a key is valid, and no cached answer may be used: the request gets a 503.</summary>
public sealed class KeyStoreUnavailableException(Exception? inner)
    : Exception("The key store (Postgres) could not be reached to check the key.", inner);
