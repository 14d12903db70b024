using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace LlmGateway.Tests.Limits;

public sealed class StreamCostTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    [Fact]
    public async Task AStreamsCostArrivesInItsFinalUsageChunk()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "stream-cost-team" });
        using var client = fixture.Api.CreateLoopbackClient(key);
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = GovernanceFixture.Model,
            max_tokens = 100,
            stream = true,
            stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = "hello" } },
        }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.False(response.Headers.Contains("x-gateway-cost-usd")); // unknown when the headers left
        var usageChunk = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.StartsWith("data: ", StringComparison.Ordinal) ? e[6..] : e)
            .Where(d => d != "[DONE]")
            .Select(d => JsonNode.Parse(d)!)
            .Single(chunk => chunk["choices"] is JsonArray { Count: 0 });
        Assert.Equal(0.01m, (decimal)usageChunk["usage"]!["cost"]!);
        Assert.Equal(100, (int)usageChunk["usage"]!["completion_tokens"]!);
    }
}
