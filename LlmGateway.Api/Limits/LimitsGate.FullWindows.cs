using System.Collections.Concurrent;
using System.Diagnostics;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Keys;
using StackExchange.Redis;

namespace LlmGateway.Api.Limits;

/// <summary>
/// An rpm window Redis refused a request for, remembered on this replica until its oldest request leaves it, so the key's
/// next requests are refused before their bodies are read (a key at its rpm could otherwise make a replica read, parse and
/// count the tokens of bodies it will refuse anyway — NoisyNeighbourAttackTests). Exact, never a 429 Redis would not give:
/// a window's requests leave it only by time (a settle never removes one), so it stays full until the moment Redis named —
/// counted from before the admission was sent, so never later than Redis' own. Remembered only when no lease was out in the
/// scope (a lease given back could free room sooner), and only for the scopes a key has whatever the body says (the key's,
/// its team's, user's, organization's; not a model's, a customer's or a tag's). A limit changed since (a new key record)
/// is not held to it.
/// </summary>
public sealed partial class LimitsGate
{
    /// <summary>Past this many remembered windows, the ones that ended are swept before another is added.</summary>
    private const int FullWindowsSweepAt = 10_000;

    private readonly ConcurrentDictionary<string, FullWindow> fullWindows = new(StringComparer.Ordinal);

    /// <summary>When the last remembered window frees: before it, the request path looks; after it, one read says none is full.</summary>
    private long fullWindowsUntil;

    /// <summary>The 429 of a key whose rpm window is known full now, before its body is read; null when none is.</summary>
    public GatewayError? RefusalBeforeBody(KeyRecord key)
    {
        var now = Stopwatch.GetTimestamp();
        if (now >= Volatile.Read(ref fullWindowsUntil))
        {
            return null;
        }

        foreach (var scope in ScopeSetFor(key, BodylessModel, DateTimeOffset.UtcNow).Scopes)
        {
            if (scope.Rpm is not { } rpm || !fullWindows.TryGetValue(scope.Identity, out var full))
            {
                continue;
            }

            if (now >= full.Until)
            {
                fullWindows.TryRemove(new KeyValuePair<string, FullWindow>(scope.Identity, full));
            }
            else if (full.Limit == rpm)
            {
                return LimitErrors.RateLimited(scope, "requests", rpm, Stopwatch.GetElapsedTime(now, full.Until));
            }
        }

        return null;
    }

    /// <summary>No model: the scopes every request of the key counts in, whatever its body names.</summary>
    private const string BodylessModel = "";

    /// <summary>Remembers a refusal for a full rpm window (<c>admit.lua</c>'s answer), when it says when the window frees and no lease is out in it.</summary>
    private void RememberFullWindow(LimitScope scope, RedisResult[] result, long sentAt)
    {
        if (result[2].ToString() != "requests" || scope.Kind is not ("key" or "team" or "user" or "org")
            || result.Length < 7 || (long)result[6] != 0 || scope.Rpm is not { } rpm)
        {
            return;
        }

        if (fullWindows.Count >= FullWindowsSweepAt)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var (identity, full) in fullWindows)
            {
                if (now >= full.Until)
                {
                    fullWindows.TryRemove(new KeyValuePair<string, FullWindow>(identity, full));
                }
            }
        }

        var until = sentAt + (long)((long)result[5] / 1000.0 * Stopwatch.Frequency);
        fullWindows[scope.Identity] = new FullWindow(rpm, until);
        for (var last = Volatile.Read(ref fullWindowsUntil); until > last; last = Volatile.Read(ref fullWindowsUntil))
        {
            if (Interlocked.CompareExchange(ref fullWindowsUntil, until, last) == last)
            {
                break;
            }
        }
    }

    private sealed record FullWindow(long Limit, long Until);
}
