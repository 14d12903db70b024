using System.Diagnostics;
using System.Text.Json;
using LlmGateway.Tests.Fakes;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: ask for a long non-streamed answer and hang up before it comes. The provider finished (and billed) the work,
/// but the request was recorded as a $0 success. Now the gateway keeps waiting for the answer, bounded, and bills the
/// provider's own usage; when the bound hits first, the prompt estimate of the body it read. The ledger says
/// <c>client_disconnected</c>.
/// </summary>
public sealed class DisconnectBeforeTheAnswerTests(PricingAttackFixture fixture) : IClassFixture<PricingAttackFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AClientThatHangsUpBeforeTheAnswerIsBilledTheProvidersUsage()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"hang-up-{Guid.NewGuid():N}", max_budget = 5 });
        fixture.Upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 100, DelayBeforeHeaders = TimeSpan.FromSeconds(1.5) };
        try
        {
            await HangUpOnceTheUpstreamHasItAsync(key);
            var row = Assert.Single(await fixture.LedgerRowsAsync(key));

            const decimal expected = 10 * PricingAttackFixture.InputRate + 100 * PricingAttackFixture.OutputRate;
            Assert.Equal("client_disconnected", row.GetProperty("status").GetString());
            Assert.Equal((10, 100), (row.GetProperty("prompt_tokens").GetInt32(), row.GetProperty("completion_tokens").GetInt32()));
            Assert.Equal(expected, row.GetProperty("spend").GetDecimal());
            await WaitForTeamSpendAsync(teamId, expected); // the budget got it too
        }
        finally
        {
            fixture.Upstream.Default = FakeResponse.Ok;
        }
    }

    [Fact]
    public async Task AnAnswerThatNeverComesIsBilledThePromptEstimateOnceTheDrainBoundHits()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"never-answers-{Guid.NewGuid():N}", max_budget = 5 });
        fixture.Upstream.Default = FakeResponse.Ok with { Hang = true };
        var prompt = string.Join(' ', Enumerable.Range(0, 400).Select(i => $"word{i}"));
        try
        {
            await HangUpOnceTheUpstreamHasItAsync(key, prompt);
            var clock = Stopwatch.StartNew();
            var row = Assert.Single(await fixture.LedgerRowsAsync(key));

            // The gateway waited for the answer up to the drain bound (the ledger is polled every 50 ms: some slack).
            Assert.True(clock.Elapsed >= PricingAttackFixture.DrainBound - TimeSpan.FromMilliseconds(500), $"the row came after {clock.Elapsed}");
            Assert.Equal("client_disconnected", row.GetProperty("status").GetString());
            var promptTokens = row.GetProperty("prompt_tokens").GetInt32();
            Assert.InRange(promptTokens, 400, 4000); // the body's tokens, not 1
            Assert.Equal(0, row.GetProperty("completion_tokens").GetInt32());
            Assert.Equal(promptTokens * PricingAttackFixture.InputRate, row.GetProperty("spend").GetDecimal());
            await WaitForTeamSpendAsync(teamId, promptTokens * PricingAttackFixture.InputRate);
        }
        finally
        {
            fixture.Upstream.Default = FakeResponse.Ok;
        }
    }

    /// <summary>A non-streamed chat request the client abandons once the upstream has it (the provider is working).</summary>
    private async Task HangUpOnceTheUpstreamHasItAsync(string key, string content = "hello")
    {
        using var client = fixture.Replica.CreateLoopbackClient();
        var marker = Guid.NewGuid().ToString("N");
        using var request = PricingAttackFixture.Chat(key, "priced", new { messages = new[] { new { role = "user", content = $"{marker} {content}" } } });
        using var hangUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var sending = client.SendAsync(request, hangUp.Token);
        await Infrastructure.LocalProcess.WaitUntilAsync(() => Task.FromResult(fixture.Upstream.Requests.Any(r => r.Body.Contains(marker))),
            TimeSpan.FromSeconds(30), "the upstream's request");
        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
    }

    private async Task WaitForTeamSpendAsync(string teamId, decimal expected)
    {
        var spend = -1m;
        await Infrastructure.LocalProcess.WaitUntilAsync(async () => (spend = await fixture.TeamSpendAsync(teamId)) == expected,
            TimeSpan.FromSeconds(30), $"the team's spend of {expected} (last {spend})");
    }
}
