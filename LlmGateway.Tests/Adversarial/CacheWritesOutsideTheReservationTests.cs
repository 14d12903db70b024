using System.Net;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: mark the whole prompt <c>cache_control</c> with a one-hour TTL, so the provider bills every prompt token at
/// the cache-write price (2× input) while a reservation at the input price covers half. The prompt is reserved at its
/// dearest rate.
/// </summary>
public sealed class CacheWritesOutsideTheReservationTests(TestServers servers) : AdversarialTestBase(servers)
{
    [Fact]
    public async Task APromptWrittenToTheCacheIsReservedAtTheWritePrice()
    {
        // About 5,000 prompt tokens: $0.05 at the input price, $0.10 written for an hour; the budget is $0.075.
        var host = await StartApiAsync(Config(Model("chat", "openai/cached", Primary,
            "input_cost_per_token: 0.00001", "output_cost_per_token: 0", "cache_creation_input_token_cost_above_1hr: 0.00002")));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "cache-writes" }, new { max_budget = 0.075 });

        using var large = await PostAsync(host, key, "/v1/messages", Body(5000));
        using var small = await PostAsync(host, key, "/v1/messages", Body(2000));

        Assert.Equal(HttpStatusCode.TooManyRequests, large.StatusCode);
        Assert.Contains("budget", await large.Content.ReadAsStringAsync(Timeout));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(1, Primary.RequestCount);
    }

    private static string Body(int words) => $$$"""
        {"model":"chat","max_tokens":1,
         "system":[{"type":"text","text":"{{{string.Concat(Enumerable.Repeat(" hello", words))}}}","cache_control":{"type":"ephemeral","ttl":"1h"}}],
         "messages":[{"role":"user","content":"hi"}]}
        """;
}
