using System.Diagnostics;

namespace LlmGateway.Api.Keys;

/// <summary>
/// Cuts the in-flight streams of a key, team or user that was blocked or deleted: each stream watches one cancellation
/// per scope it belongs to (no scan of the streams), and a revocation cancels that scope's. A revocation is remembered
/// for a minute, so a request authenticated just before it and watched just after it is cut too.
/// </summary>
public sealed class KeyRevocations
{
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(1);

    private readonly Lock gate = new();
    private readonly Dictionary<string, Scope> scopes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> revokedAt = new(StringComparer.Ordinal);

    public static string KeyScope(string token) => "key:" + token;

    public static string TeamScope(string teamId) => "team:" + teamId;

    public static string UserScope(string userId) => "user:" + userId;

    /// <summary>Streams being watched now (one per request, whatever its scopes).</summary>
    public int Watched { get; private set; }

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

        string?[] names = [KeyScope(key.Token), key.TeamId is { } team ? TeamScope(team) : null, key.UserId is { } user ? UserScope(user) : null];
        var held = new Scope?[names.Length];
        var revokedSince = false;
        lock (gate)
        {
            Watched++;
            for (var i = 0; i < names.Length; i++)
            {
                if (names[i] is not { } name)
                {
                    continue;
                }

                revokedSince |= revokedAt.TryGetValue(name, out var at) && at >= authenticatedAt;
                if (!scopes.TryGetValue(name, out var scope))
                {
                    scopes[name] = scope = new Scope(name);
                }

                scope.Watchers++;
                held[i] = scope;
            }
        }

        var linked = CancellationTokenSource.CreateLinkedTokenSource(held[0]!.Source.Token, held[1]?.Source.Token ?? default, held[2]?.Source.Token ?? default);
        if (revokedSince)
        {
            linked.Cancel();
        }

        return new Watch(this, held, linked);
    }

    /// <summary>Cuts every stream watching <paramref name="scope"/> (e.g. <see cref="KeyScope"/>); returns how many were.</summary>
    public int Revoke(string scope)
    {
        Scope? revoked;
        lock (gate)
        {
            var now = Stopwatch.GetTimestamp();
            revokedAt[scope] = now;
            if (revokedAt.Count > 1024)
            {
                foreach (var (name, at) in revokedAt)
                {
                    if (Stopwatch.GetElapsedTime(at, now) > Remembered)
                    {
                        revokedAt.Remove(name);
                    }
                }
            }

            // Later requests of the scope (re-allowed, e.g. unblocked) watch a fresh source.
            if (scopes.Remove(scope, out revoked))
            {
                revoked.Detached = true;
            }
        }

        if (revoked is null)
        {
            return 0;
        }

        revoked.Source.Cancel();
        return revoked.Watchers;
    }

    /// <summary>The scope is allowed again (unblocked, updated): a revocation remembered for it no longer cuts new requests.</summary>
    public void Allow(string scope)
    {
        lock (gate)
        {
            revokedAt.Remove(scope);
        }
    }

    private void Stop(Scope?[] held)
    {
        lock (gate)
        {
            Watched--;
            foreach (var scope in held)
            {
                if (scope is not null && --scope.Watchers == 0 && !scope.Detached)
                {
                    scopes.Remove(scope.Name);
                    scope.Source.Dispose();
                }
            }
        }
    }

    internal sealed class Scope(string name)
    {
        public string Name { get; } = name;
        public CancellationTokenSource Source { get; } = new();
        public int Watchers { get; set; }
        public bool Detached { get; set; }
    }

    /// <summary>One request's watch: <see cref="Token"/> is cancelled when its key, team or user is revoked.</summary>
    public readonly struct Watch : IDisposable
    {
        private readonly KeyRevocations? owner;
        private readonly Scope?[]? held;
        private readonly CancellationTokenSource? linked;

        internal Watch(KeyRevocations owner, Scope?[] held, CancellationTokenSource linked)
        {
            this.owner = owner;
            this.held = held;
            this.linked = linked;
        }

        public CancellationToken Token => linked?.Token ?? CancellationToken.None;

        public void Dispose()
        {
            if (owner is null)
            {
                return;
            }

            linked!.Dispose();
            owner.Stop(held!);
        }
    }
}
