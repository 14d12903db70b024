using System.Net;
using LlmGateway.Tests.Fakes;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: make the provider work past the deployment's timeout. The gateway gave up and recorded $0, though the provider
/// had the prompt. Now the attempt that timed out after sending is billed the prompt estimate (and, streamed, what was
/// relayed), and the ledger says <c>timeout</c>.
/// </summary>
public sealed class TimedOutRequestTests(PricingAttackFixture fixture) : IClassFixture<PricingAttackFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ARequestThatTimesOutUpstreamIsBilledThePromptAndRecordedAsTimeout()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"timeout-{Guid.NewGuid():N}", max_budget = 5 });
        fixture.Upstream.Default = FakeResponse.Ok with { DelayBeforeHeaders = TimeSpan.FromSeconds(3) }; // the deployment waits 1 s
        try
        {
            using var client = fixture.Api.CreateLoopbackClient();
            using var response = await client.SendAsync(PricingAttackFixture.Chat(key, "slow"), Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode); // every deployment failed: the one it had timed out
            Assert.Contains("timeout", await response.Content.ReadAsStringAsync(Ct));

            var row = Assert.Single(await fixture.LedgerRowsAsync(key));
            Assert.Equal("timeout", row.GetProperty("status").GetString());
            var promptTokens = row.GetProperty("prompt_tokens").GetInt32();
            Assert.True(promptTokens > 1, $"the prompt estimate, got {promptTokens}");
            Assert.Equal(promptTokens * PricingAttackFixture.InputRate, row.GetProperty("spend").GetDecimal());
        }
        finally
        {
            fixture.Upstream.Default = FakeResponse.Ok;
        }
    }

    [Fact]
    public async Task AnAttemptThatTimedOutBeforeASuccessfulFailoverIsBilledWithTheAnswer()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"timeout-failover-{Guid.NewGuid():N}", max_budget = 5 });
        fixture.Upstream.Default = FakeResponse.Ok with { DelayBeforeHeaders = TimeSpan.FromSeconds(3) }; // the first deployment waits 1 s
        try
        {
            using var client = fixture.Api.CreateLoopbackClient();
            using var response = await client.SendAsync(PricingAttackFixture.Chat(key, "slow-then-spare"), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("2", response.Headers.GetValues("x-gateway-attempts").Single());

            var row = Assert.Single(await fixture.LedgerRowsAsync(key));
            Assert.Equal("success", row.GetProperty("status").GetString());
            var answered = row.GetProperty("prompt_tokens").GetInt32() * PricingAttackFixture.InputRate
                + row.GetProperty("completion_tokens").GetInt32() * PricingAttackFixture.OutputRate;
            // The timed-out attempt's prompt estimate (whole tokens at the input rate) comes on top of the answer's usage.
            var timedOut = row.GetProperty("spend").GetDecimal() - answered;
            Assert.True(timedOut >= 2 * PricingAttackFixture.InputRate && timedOut % PricingAttackFixture.InputRate == 0, $"the timed-out attempt billed {timedOut}");
        }
        finally
        {
            fixture.Upstream.Default = FakeResponse.Ok;
        }
    }

    [Fact]
    public async Task AStreamThatBreaksOffMidwayIsBilledWhatWasRelayedNotZero()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"broken-{Guid.NewGuid():N}", max_budget = 5 });
        fixture.Upstream.Default = FakeResponse.Ok with { Text = "one two three four five six", ChunkCount = 6, DropConnectionAfterChunks = 3 };
        try
        {
            using var client = fixture.Api.CreateLoopbackClient();
            using var response = await client.SendAsync(PricingAttackFixture.Chat(key, "priced", stream: true), Ct);
            await response.Content.ReadAsStringAsync(Ct);

            var row = Assert.Single(await fixture.LedgerRowsAsync(key));
            Assert.Equal("stream_connection_reset", row.GetProperty("status").GetString());
            var (promptTokens, completion) = (row.GetProperty("prompt_tokens").GetInt32(), row.GetProperty("completion_tokens").GetInt32());
            Assert.True(promptTokens > 1 && completion >= 3, $"prompt {promptTokens}, completion {completion}");
            Assert.Equal(promptTokens * PricingAttackFixture.InputRate + completion * PricingAttackFixture.OutputRate, row.GetProperty("spend").GetDecimal());
        }
        finally
        {
            fixture.Upstream.Default = FakeResponse.Ok;
        }
    }
}
