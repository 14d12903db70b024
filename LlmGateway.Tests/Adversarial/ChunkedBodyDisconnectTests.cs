using System.Net;
using LlmGateway.Tests.Fakes;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: send a big prompt with a chunked body (no Content-Length), stream, and hang up before the usage event. The
/// estimate read the prompt's size from Content-Length, so the prompt was billed as 1 token. Now it is the prompt
/// estimate of the body the gateway read, plus one token per event relayed.
/// </summary>
public sealed class ChunkedBodyDisconnectTests(PricingAttackFixture fixture) : IClassFixture<PricingAttackFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AChunkedStreamAbandonedBeforeItsUsageIsBilledThePromptItCarried()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"chunked-{Guid.NewGuid():N}", max_budget = 5 });
        // 100 chunks 200 ms apart: the usage would come after 20 s, long after the 3 s drain bound.
        fixture.Upstream.Default = FakeResponse.Ok with
        {
            Text = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"w{i}")), ChunkCount = 100, DelayBetweenChunks = TimeSpan.FromMilliseconds(200),
        };
        var prompt = string.Join(' ', Enumerable.Range(0, 1000).Select(i => $"word{i}"));
        try
        {
            using var client = fixture.Api.CreateLoopbackClient();
            using var request = PricingAttackFixture.Chat(key, "priced", new { messages = new[] { new { role = "user", content = prompt } } }, stream: true);
            request.Headers.TransferEncodingChunked = true;
            using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Null(request.Content!.Headers.ContentLength);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
                for (var chunks = 0; chunks < 5;)
                {
                    var line = await reader.ReadLineAsync(Ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Ct) ?? throw new InvalidOperationException("the stream ended");
                    chunks += line.Contains("\"content\":\"w", StringComparison.Ordinal) ? 1 : 0;
                }
            } // hangs up mid-stream

            var row = Assert.Single(await fixture.LedgerRowsAsync(key));
            Assert.Equal("client_disconnected", row.GetProperty("status").GetString());
            var (promptTokens, completion) = (row.GetProperty("prompt_tokens").GetInt32(), row.GetProperty("completion_tokens").GetInt32());
            Assert.InRange(promptTokens, 1000, 10_000); // the body the gateway read, not Content-Length
            Assert.InRange(completion, 5, 99); // what was relayed before the drain bound, not the 100 never sent
            Assert.Equal(promptTokens * PricingAttackFixture.InputRate + completion * PricingAttackFixture.OutputRate, row.GetProperty("spend").GetDecimal());
        }
        finally
        {
            fixture.Upstream.Default = FakeResponse.Ok;
        }
    }
}
