using System.Net;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: a small <c>max_tokens</c> with a large <c>thinking.budget_tokens</c> (Anthropic's interleaved thinking lets
/// the budget pass max_tokens): reserved as max_tokens, billed as the thinking. The output ceiling is never below the
/// thinking budget.
/// </summary>
public sealed class ReasoningOutsideTheReservationTests(TestServers servers) : AdversarialTestBase(servers)
{
    [Fact]
    public async Task AThinkingBudgetBeyondMaxTokensIsReserved()
    {
        var host = await StartApiAsync(Config(Model("chat", "openai/thinker", Primary, "input_cost_per_token: 0", "output_cost_per_token: 0")));
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "thinking" }, new { tpm_limit = 5000 });
        const string Messages = "\"messages\":[{\"role\":\"user\",\"content\":\"think hard\"}]";

        using var thinking = await PostAsync(host, key, "/v1/messages",
            $$"""{"model":"chat","max_tokens":100,"thinking":{"type":"enabled","budget_tokens":20000},{{Messages}}}""");
        using var plain = await PostAsync(host, key, "/v1/messages", $$"""{"model":"chat","max_tokens":100,{{Messages}}}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, thinking.StatusCode);
        Assert.Contains("tokens", await thinking.Content.ReadAsStringAsync(Timeout));
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(1, Primary.RequestCount);
    }
}
