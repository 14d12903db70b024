using System.Diagnostics;
using LlmGateway.Api.Keys;

namespace LlmGateway.Tests.Keys;

/// <summary>The revocation core directly: requests of one key share a cancellation that its key, team or user cuts.</summary>
public sealed class KeyRevocationsTests
{
    private static KeyRecord Key(string token, string? team = "t1", string? user = "u1") =>
        new() { Token = token, KeyName = "sk-" + token, TeamId = team, UserId = user, KeyLimits = new ScopeLimits() };

    [Fact]
    public void RevokingAKeyTeamOrUserCutsExactlyTheRequestsInThatScope()
    {
        var revocations = new KeyRevocations();
        var now = Stopwatch.GetTimestamp();
        using var a = revocations.Start(Key("a", team: "t1", user: "u1"), now);
        using var b = revocations.Start(Key("b", team: "t2", user: "u1"), now);
        using var c = revocations.Start(Key("c", team: "t2", user: null), now);

        Assert.Equal(1, revocations.Revoke(KeyRevocations.TeamScope("t1")));
        Assert.True(a.Token.IsCancellationRequested);
        Assert.False(b.Token.IsCancellationRequested);

        Assert.Equal(1, revocations.Revoke(KeyRevocations.UserScope("u1")));
        Assert.True(b.Token.IsCancellationRequested);
        Assert.False(c.Token.IsCancellationRequested);

        Assert.Equal(1, revocations.Revoke(KeyRevocations.KeyScope("c")));
        Assert.True(c.Token.IsCancellationRequested);
    }

    [Fact]
    public void ConcurrentRequestsOfAKeyAreAllCutAndCounted()
    {
        var revocations = new KeyRevocations();
        var watches = Enumerable.Range(0, 5).Select(_ => revocations.Start(Key("k"), Stopwatch.GetTimestamp())).ToList();
        watches[0].Dispose();

        Assert.Equal(4, revocations.Revoke(KeyRevocations.KeyScope("k")));
        Assert.All(watches.Skip(1), w => Assert.True(w.Token.IsCancellationRequested));
    }

    [Fact]
    public void ARequestAuthenticatedBeforeARevocationAndWatchedAfterItIsCutAndALaterOneIsNot()
    {
        var revocations = new KeyRevocations();
        var authenticated = Stopwatch.GetTimestamp();
        revocations.Revoke(KeyRevocations.TeamScope("t1"));

        using var late = revocations.Start(Key("k"), authenticated);
        using var after = revocations.Start(Key("k"), Stopwatch.GetTimestamp());
        using var otherTeam = revocations.Start(Key("x", team: "t9"), authenticated);

        Assert.True(late.Token.IsCancellationRequested);
        Assert.False(after.Token.IsCancellationRequested);
        Assert.False(otherTeam.Token.IsCancellationRequested);
    }

    [Fact]
    public void AllowingAScopeAgainForgetsItsRevocation()
    {
        var revocations = new KeyRevocations();
        var authenticated = Stopwatch.GetTimestamp();
        revocations.Revoke(KeyRevocations.KeyScope("k"));
        revocations.Allow(KeyRevocations.KeyScope("k"));

        using var watch = revocations.Start(Key("k"), authenticated);

        Assert.False(watch.Token.IsCancellationRequested);
    }

    [Fact]
    public void AKeyMovedToAnotherTeamIsCutByItsNewTeam()
    {
        var revocations = new KeyRevocations();
        var now = Stopwatch.GetTimestamp();
        using var before = revocations.Start(Key("k", team: "old"), now);
        using var moved = revocations.Start(Key("k", team: "new"), now);

        revocations.Revoke(KeyRevocations.TeamScope("new"));

        Assert.True(moved.Token.IsCancellationRequested);
        Assert.False(before.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task IdleKeysAreSweptWhileBusyOnesStayRevocableUnderConcurrency()
    {
        var revocations = new KeyRevocations();
        using var busy = revocations.Start(Key("busy"), Stopwatch.GetTimestamp());

        // Thousands of other keys come and go on two threads: sweeps run meanwhile and must never detach a watched entry.
        var churn = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                using var w = revocations.Start(Key($"k{t}-{i % 1500}"), Stopwatch.GetTimestamp());
                using var same = revocations.Start(Key("shared"), Stopwatch.GetTimestamp());
            }
        })).ToArray();
        using var held = revocations.Start(Key("shared"), Stopwatch.GetTimestamp());
        await Task.WhenAll(churn);

        Assert.Equal(1, revocations.Revoke(KeyRevocations.KeyScope("shared")));
        Assert.True(held.Token.IsCancellationRequested);
        Assert.Equal(1, revocations.Revoke(KeyRevocations.KeyScope("busy")));
        Assert.True(busy.Token.IsCancellationRequested);
    }
}
