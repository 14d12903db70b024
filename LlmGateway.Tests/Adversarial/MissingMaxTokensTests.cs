using System.Net;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: leave out <c>max_tokens</c>, so the reservation assumes 4,096 output tokens while the model may write 32k or
/// more. Without a limit the worst case takes the model's own ceiling: <c>model_info.max_output_tokens</c>, else the
/// built-in table (gpt-4.1: 32,768), in every client format.
/// </summary>
public sealed class MissingMaxTokensTests(TestServers servers) : AdversarialTestBase(servers)
{
    // gpt-4.1 at $0.00001 an output token: 32,768 tokens = $0.33 at worst; 4,096 would be $0.04; the budget is $0.10.
    private string Gpt41(params string[] info) => Config(Model("chat", "openai/gpt-4.1-2025-04-14", Primary,
        ["input_cost_per_token: 0", "output_cost_per_token: 0.00001", .. info]));

    [Fact]
    public async Task AChatRequestWithoutMaxTokensIsReservedAtTheModelsCeiling()
    {
        var host = await StartApiAsync(Gpt41());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "no-max-tokens" }, new { max_budget = 0.10 });

        using var unlimited = await ChatAsync(host, key);
        using var limited = await ChatAsync(host, key, "\"max_tokens\":100");

        Assert.Equal(HttpStatusCode.TooManyRequests, unlimited.StatusCode);
        Assert.Contains("budget_exceeded", await unlimited.Content.ReadAsStringAsync(Timeout));
        Assert.Equal(HttpStatusCode.OK, limited.StatusCode);
        Assert.Equal(1, Primary.RequestCount);
    }

    [Fact]
    public async Task AResponsesRequestWithoutMaxOutputTokensIsReservedAtTheModelsCeiling()
    {
        var host = await StartApiAsync(Gpt41());
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "no-max-output-tokens" }, new { max_budget = 0.10 });

        using var response = await PostAsync(host, key, "/v1/responses", """{"model":"chat","input":"hello"}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(0, Primary.RequestCount);
    }

    [Fact]
    public async Task ModelInfoMaxOutputTokensIsTheCeilingBeforeTheTable()
    {
        var host = await StartApiAsync(Gpt41("max_output_tokens: 1000"));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "model-info-ceiling" }, new { max_budget = 0.10 });

        using var response = await ChatAsync(host, key);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
