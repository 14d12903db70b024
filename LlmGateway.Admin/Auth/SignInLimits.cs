using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace LlmGateway.Admin.Auth;

/// <summary>
/// Failed sign-ins per client address and for the admin account as a whole, in this replica's memory. Past the limit
/// within the window the address (or the admin password, for the account) is locked out for the lockout duration.
/// </summary>
public sealed class SignInLimits(IOptionsMonitor<AdminAuthOptions> options, TimeProvider time)
{
    public const string Account = "admin";
    private const int MaxTracked = 10_000;

    private readonly ConcurrentDictionary<string, Counter> counters = new();

    private AdminAuthOptions.SignInOptions Settings => options.CurrentValue.SignIn;

    /// <summary>How long <paramref name="subject"/> (an address, or <see cref="Account"/>) stays locked out; null if it is not.</summary>
    public TimeSpan? LockedFor(string subject)
    {
        if (!counters.TryGetValue(subject, out var counter))
        {
            return null;
        }

        lock (counter)
        {
            var left = counter.LockedUntil - time.GetUtcNow();
            return left > TimeSpan.Zero ? left : null;
        }
    }

    /// <summary>Counts a failure; true when it starts a lockout.</summary>
    public bool Fail(string subject, int maxFailures)
    {
        if (maxFailures <= 0)
        {
            return false;
        }

        Prune();
        var counter = counters.GetOrAdd(subject, _ => new Counter());
        var now = time.GetUtcNow();
        lock (counter)
        {
            if (now - counter.WindowStart > Settings.FailureWindow)
            {
                counter.WindowStart = now;
                counter.Failures = 0;
            }

            counter.Failures++;
            if (counter.Failures < maxFailures)
            {
                return false;
            }

            counter.LockedUntil = now + Settings.LockoutDuration;
            counter.Failures = 0;
            return true;
        }
    }

    public void Succeed(string subject) => counters.TryRemove(subject, out _);

    // Many addresses (an IPv6 range) must not grow memory without bound: forget counters that no longer matter.
    private void Prune()
    {
        if (counters.Count < MaxTracked)
        {
            return;
        }

        var now = time.GetUtcNow();
        foreach (var (subject, counter) in counters)
        {
            if (counter.LockedUntil < now && now - counter.WindowStart > Settings.FailureWindow)
            {
                counters.TryRemove(subject, out _);
            }
        }
    }

    private sealed class Counter
    {
        public DateTimeOffset WindowStart = DateTimeOffset.MinValue;
        public int Failures;
        public DateTimeOffset LockedUntil = DateTimeOffset.MinValue;
    }
}
