using System.Collections.Concurrent;
using System.Diagnostics;

namespace LlmGateway.Api.Keys;

/// <summary>
/// Cuts the in-flight streams of a key, team or user that was blocked or deleted. The requests of one key share one
/// cancellation (its <see cref="Entry"/>, found by the key's token without a lock), so watching costs a dictionary read
/// and two interlocked counts; a revocation cancels the entries of every key it names (a scan of the keys in use, which
/// is rare). A revocation is remembered for a minute, so a request authenticated just before it and watched just after
/// it is cut too.
/// </summary>
public sealed class KeyRevocations
{
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(1);
    private static readonly CancellationToken AlreadyRevoked = new(canceled: true);

    /// <summary>Idle entries are swept after this many new ones (keys come and go; the map must not grow forever).</summary>
    private const int SweepEvery = 1024;

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> revokedAt = new(StringComparer.Ordinal);
    private readonly Lock sweeping = new();
    private long lastRevocation = long.MinValue;
    private int addedSinceSweep;

    public static string KeyScope(string token) => "key:" + token;

    public static string TeamScope(string teamId) => "team:" + teamId;

    public static string UserScope(string userId) => "user:" + userId;

    /// <summary>
    /// Watches a request of <paramref name="key"/> until disposed; its token is cancelled when the key, its team or its
    /// user is revoked — or at once when one was revoked after <paramref name="authenticatedAt"/> (a Stopwatch timestamp).
    /// </summary>
    public Watch Start(KeyRecord? key, long authenticatedAt)
    {
        if (key is null)
        {
            return default; // the master key is never revoked this way
        }

        var entry = Join(key);
        var token = entry.Source.Token;
        // The entry is joined before the revocations are read, and Revoke records before it cancels: one of the two sees the other.
        if (Volatile.Read(ref lastRevocation) >= authenticatedAt && RevokedSince(entry.Scopes, authenticatedAt))
        {
            token = AlreadyRevoked;
        }

        return new Watch(entry, token);
    }

    /// <summary>Cuts every stream watching <paramref name="scope"/> (e.g. <see cref="KeyScope"/>); returns how many were.</summary>
    public int Revoke(string scope)
    {
        var now = Stopwatch.GetTimestamp();
        revokedAt[scope] = now;
        Interlocked.Exchange(ref lastRevocation, now);
        ForgetOldRevocations(now);
        var cut = 0;
        foreach (var (token, entry) in entries)
        {
            // Later requests of the key (re-allowed, e.g. unblocked) join a fresh entry.
            if (Array.IndexOf(entry.Scopes, scope) >= 0 && entries.TryRemove(new KeyValuePair<string, Entry>(token, entry)))
            {
                cut += Volatile.Read(ref entry.Watchers);
                entry.Source.Cancel();
            }
        }

        return cut;
    }

    /// <summary>The scope is allowed again (unblocked, updated): a revocation remembered for it no longer cuts new requests.</summary>
    public void Allow(string scope) => revokedAt.TryRemove(scope, out _);

    private Entry Join(KeyRecord key)
    {
        while (true)
        {
            if (!entries.TryGetValue(key.Token, out var entry) || !entry.Matches(key))
            {
                entry = new Entry(key);
                entries[key.Token] = entry; // a key moved to another team or user gets an entry naming its new scopes
                if (Interlocked.Increment(ref addedSinceSweep) >= SweepEvery)
                {
                    SweepIdle();
                }
            }

            Interlocked.Increment(ref entry.Watchers);
            if (!Volatile.Read(ref entry.Detached))
            {
                return entry;
            }

            Interlocked.Decrement(ref entry.Watchers); // swept as idle between the read and the count: join a fresh one
        }
    }

    private void SweepIdle()
    {
        lock (sweeping)
        {
            Volatile.Write(ref addedSinceSweep, 0);
            foreach (var (token, entry) in entries)
            {
                if (Volatile.Read(ref entry.Watchers) != 0)
                {
                    continue;
                }

                Volatile.Write(ref entry.Detached, true);
                Interlocked.MemoryBarrier(); // pairs with Join's interlocked count: a joiner sees Detached, or this sees it
                if (Volatile.Read(ref entry.Watchers) == 0)
                {
                    entries.TryRemove(new KeyValuePair<string, Entry>(token, entry));
                }
                else
                {
                    Volatile.Write(ref entry.Detached, false);
                }
            }
        }
    }

    private bool RevokedSince(string[] scopes, long authenticatedAt)
    {
        foreach (var scope in scopes)
        {
            if (revokedAt.TryGetValue(scope, out var at) && at >= authenticatedAt)
            {
                return true;
            }
        }

        return false;
    }

    private void ForgetOldRevocations(long now)
    {
        if (revokedAt.Count <= 1024)
        {
            return;
        }

        foreach (var (name, at) in revokedAt)
        {
            if (Stopwatch.GetElapsedTime(at, now) > Remembered)
            {
                revokedAt.TryRemove(new KeyValuePair<string, long>(name, at));
            }
        }
    }

    /// <summary>The requests in flight for one key: the scopes it belongs to and the cancellation they share.</summary>
    internal sealed class Entry(KeyRecord key)
    {
        private readonly string? teamId = key.TeamId;
        private readonly string? userId = key.UserId;

        public string[] Scopes { get; } = ScopesOf(key);
        public CancellationTokenSource Source { get; } = new();
        public int Watchers;
        public bool Detached;

        public bool Matches(KeyRecord key) => key.TeamId == teamId && key.UserId == userId;

        private static string[] ScopesOf(KeyRecord key) =>
        [
            KeyScope(key.Token),
            .. key.TeamId is { } team ? [TeamScope(team)] : Array.Empty<string>(),
            .. key.UserId is { } user ? [UserScope(user)] : Array.Empty<string>(),
        ];
    }

    /// <summary>One request's watch: <see cref="Token"/> is cancelled when its key, team or user is revoked.</summary>
    public readonly struct Watch : IDisposable
    {
        private readonly Entry? entry;

        internal Watch(Entry entry, CancellationToken token)
        {
            this.entry = entry;
            Token = token;
        }

        public CancellationToken Token { get; }

        public void Dispose()
        {
            if (entry is not null)
            {
                Interlocked.Decrement(ref entry.Watchers);
            }
        }
    }
}
