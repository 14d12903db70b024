using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using LlmGateway.Api.Data;
using Microsoft.EntityFrameworkCore;

namespace LlmGateway.Api.Keys;

/// <summary>
/// The hashes of every key secret (and previous secret in its grace period), so a wrong key is refused without a
/// Postgres round trip. Reloaded every <see cref="KeyCacheOptions.DirectoryRefreshSeconds"/>; a key issued on any
/// replica is added at once (pub/sub). A hash it does not hold is still looked up, at most
/// <see cref="KeyCacheOptions.UnknownKeyLookupsPerSecond"/> per second: a key issued while pub/sub was down keeps working.
/// </summary>
public sealed class KeyDirectory(KeyCacheOptions options) : IDisposable
{
    private readonly ConcurrentDictionary<string, long> added = new(StringComparer.Ordinal);
    private readonly TokenBucketRateLimiter lookups = new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = Math.Max(1, options.UnknownKeyLookupsPerSecond),
        TokensPerPeriod = Math.Max(1, options.UnknownKeyLookupsPerSecond),
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    private volatile HashSet<string>? known;

    /// <summary>False until the first load: then every unknown hash is looked up, as without a directory.</summary>
    public bool Loaded => known is not null;

    public int Count => (known?.Count ?? 0) + added.Count;

    /// <summary>Whether a lookup of <paramref name="hash"/> may find a key: held, or within the rate of unknown lookups.</summary>
    public bool WorthLookingUp(string hash) =>
        known is not { } set || set.Contains(hash) || added.ContainsKey(hash) || lookups.AttemptAcquire().IsAcquired;

    /// <summary>Whether <paramref name="hash"/> is a key's secret this replica knows of (loaded, or issued since).</summary>
    public bool Holds(string hash) => (known is { } set && set.Contains(hash)) || added.ContainsKey(hash);

    public void Add(string hash) => added[hash] = Environment.TickCount64;

    public async Task LoadAsync(IServiceScopeFactory scopes, CancellationToken ct)
    {
        var started = Environment.TickCount64;
        var now = DateTimeOffset.UtcNow;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDbContext>();
        var rows = await db.VirtualKeys.AsNoTracking()
            .Select(k => new { k.SecretHash, Previous = k.PreviousTokenExpires > now ? k.PreviousToken : null })
            .ToListAsync(ct);
        var set = new HashSet<string>(rows.Count * 2, StringComparer.Ordinal);
        foreach (var row in rows)
        {
            set.Add(row.SecretHash);
            if (row.Previous is { } previous)
            {
                set.Add(previous);
            }
        }

        known = set;
        // Keys added after this load began may be missing from it: they stay until the next one.
        foreach (var (hash, at) in added)
        {
            if (at < started)
            {
                added.TryRemove(new KeyValuePair<string, long>(hash, at));
            }
        }
    }

    /// <summary>Loads the directory of known keys now and every refresh period (every 5 s until a first load succeeds).</summary>
    public async Task RefreshAsync(IServiceScopeFactory scopes, ILogger logger, CancellationToken ct)
    {
        var period = TimeSpan.FromSeconds(Math.Max(1, options.DirectoryRefreshSeconds));
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        using var scope = scopes.CreateScope();
        var readiness = scope.ServiceProvider.GetService<GatewayReadiness>();
        try
        {
            do
            {
                if (readiness?.SchemaReady == false)
                {
                    continue; // the schema is still being migrated
                }

                try
                {
                    await LoadAsync(scopes, ct);
                    timer.Period = period;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning("Could not load the directory of known keys ({Error}); unknown keys are looked up meanwhile", ex.GetType().Name);
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public void Dispose() => lookups.Dispose();
}
