using StackExchange.Redis;

namespace LlmGateway.Api.Keys;

/// <summary>The key cache's change messages: published on Redis, evicting (and revoking) on every replica.</summary>
public sealed partial class KeyCache
{
    /// <summary>Evicts locally and tells every other replica to do the same.</summary>
    public async Task PublishChangeAsync(string message)
    {
        Evict(message);
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, message).WaitAsync(TimeSpan.FromSeconds(1));
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            logger.LogWarning("Could not publish a key change ({Error}); other replicas see it within {Ttl}", ex.GetType().Name, ttl);
        }
    }

    public static string KeyMessage(string token) => KeyRevocations.KeyScope(token);

    /// <summary>A change that also cuts the in-flight streams of the key, team or user named by <paramref name="message"/>.</summary>
    public static string Revocation(string message) => RevokePrefix + message;

    private const string RevokePrefix = "revoke:";

    /// <summary>
    /// A secret was just issued: forgets "unknown key" answers for it, here and (pub/sub) on every replica. Awaited before the
    /// secret is handed out, so every replica finds it marked (<see cref="IssuedKeys"/>) even before the announcement arrives.
    /// </summary>
    public Task ForgetSecretAsync(string secretHash)
    {
        OnIssued(secretHash);
        return PublishIssuedAsync(secretHash);
    }

    /// <summary>The recent secrets marked in Redis.</summary>
    public IssuedKeys Issued { get; }

    /// <summary>Test hook: runs between a load's check for changes and its store (null in production).</summary>
    internal Action<string>? LoadChecked { get; set; }

    /// <summary>
    /// Keeps a load's answer unless a change came in since the load started. Checked again after the store: a change
    /// landing between the first check and the store would otherwise be overwritten by the answer read before it.
    /// </summary>
    private void Store(string hash, Entry entry, long changesBefore)
    {
        if (Interlocked.Read(ref changes) != changesBefore)
        {
            return;
        }

        LoadChecked?.Invoke(hash);
        entries[hash] = entry;
        if (Interlocked.Read(ref changes) != changesBefore)
        {
            entries.TryRemove(new KeyValuePair<string, Entry>(hash, entry));
        }
    }

    private void StoreUnknown(string hash, DateTimeOffset now, long changesBefore)
    {
        if (Interlocked.Read(ref changes) != changesBefore)
        {
            return;
        }

        LoadChecked?.Invoke(hash);
        unknown.Add(hash, now);
        // Postgres answered that no key has this secret (deleted, or a previous secret past its grace): a record cached
        // before is not served for the stale grace, which is for a Postgres that cannot answer.
        entries.TryRemove(hash, out _);
        if (Interlocked.Read(ref changes) != changesBefore)
        {
            unknown.Remove(hash);
        }
    }

    private void OnIssued(string secretHash)
    {
        // A lookup of this secret already in flight may have read "unknown": it must not be joined or stored.
        Interlocked.Increment(ref changes);
        Directory.Add(secretHash);
        unknown.Remove(secretHash);
        loads.TryRemove(secretHash, out _);
        entries.TryRemove(secretHash, out _);
    }

    private async Task PublishIssuedAsync(string secretHash)
    {
        try
        {
            await Issued.MarkAndAnnounceAsync(secretHash, Channel);
        }
        catch (Exception ex) when (RedisFailures.IsTransient(ex))
        {
            logger.LogWarning("Could not announce a new key ({Error}); other replicas find it at {Rate} unknown-key lookups/s",
                ex.GetType().Name, options.UnknownKeyLookupsPerSecond);
        }
    }

    public static string TeamMessage(string teamId) => KeyRevocations.TeamScope(teamId);

    private void Evict(string message)
    {
        if (message.StartsWith("new:", StringComparison.Ordinal))
        {
            OnIssued(message[4..]);
            return;
        }

        var revoked = message.StartsWith(RevokePrefix, StringComparison.Ordinal);
        message = revoked ? message[RevokePrefix.Length..] : message;
        EvictRecords(message);
        if (!revoked)
        {
            Revocations.Allow(message);
        }
        else if (Revocations.Revoke(message) is > 0 and var cut)
        {
            logger.LogInformation("Revoked {Scope}: {Count} in-flight request(s) cut", message.Split(':')[0], cut);
        }
    }

    private void EvictRecords(string message)
    {
        // Loads that started before this change must neither be joined nor stored.
        Interlocked.Increment(ref changes);
        loads.Clear();
        unknown.Clear();
        if (message.StartsWith("key:", StringComparison.Ordinal))
        {
            // Entries are indexed by secret hash; the message names the key's stable token.
            var token = message[4..];
            foreach (var (hash, entry) in entries)
            {
                if (hash == token || entry.Record?.Token == token)
                {
                    entries.TryRemove(hash, out _);
                }
            }
        }
        else if (message.StartsWith("team:", StringComparison.Ordinal))
        {
            var team = message[5..];
            foreach (var (hash, entry) in entries)
            {
                if (entry.Record?.TeamId == team)
                {
                    entries.TryRemove(hash, out _);
                }
            }
        }
        else
        {
            entries.Clear();
        }
    }

    /// <summary>
    /// After a gap in the subscription: every record must be confirmed again before its TTL counts, but is still served
    /// within the grace meanwhile (a replica must not fail its keys because Postgres is down at that moment too).
    /// </summary>
    private void ExpireAll()
    {
        Interlocked.Increment(ref changes);
        loads.Clear();
        unknown.Clear();
        var now = DateTimeOffset.UtcNow;
        foreach (var (hash, entry) in entries)
        {
            if (entry.ExpiresAt > now)
            {
                entries.TryUpdate(hash, entry with { ExpiresAt = now }, entry);
            }
        }
    }
}
