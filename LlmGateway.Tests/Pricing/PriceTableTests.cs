using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Pricing;
using static LlmGateway.Tests.Configuration.ConfigFixtures;

namespace LlmGateway.Tests.Pricing;

public class PriceTableTests
{
    // The issue's call: 1,000 input + 5,000 cache-write (5m) + 20,000 cache-read + 200 output tokens.
    private static readonly TokenUsage CachedCall = new(26_000, 200, CachedTokens: 20_000, CacheWriteTokens: 5_000);

    private static readonly PriceTable Prices = new();

    [Fact]
    public void AClaudeSonnetCallPricesCacheReadsAndWritesAtAnthropicsRatesFromTheConfiguredInputPrice()
    {
        var sonnet = DeploymentOf("anthropic/claude-sonnet-4-20250514", "input_cost_per_token: 0.000003, output_cost_per_token: 0.000015");

        // $0.003 input + $0.01875 writes (1.25×) + $0.006 reads (0.1×) + $0.003 output.
        Assert.Equal(0.03075m, Prices.CostOf(sonnet, CachedCall));
    }

    [Fact]
    public void AClaudeSonnetCallWithoutModelInfoIsPricedTheSameFromTheBuiltInTable()
    {
        Assert.Equal(0.03075m, Prices.CostOf(DeploymentOf("anthropic/claude-sonnet-4-20250514"), CachedCall));
    }

    [Fact]
    public void APromptOver200kTokensIsBilledAtTheLongContextRatesEveryTokenOfIt()
    {
        var sonnet = DeploymentOf("anthropic/claude-sonnet-4-5");
        var configured = DeploymentOf("anthropic/claude-in-house", "input_cost_per_token: 0.000001, output_cost_per_token: 0.000002");
        var explicitRates = DeploymentOf("anthropic/claude-in-house",
            "input_cost_per_token: 0.000001, output_cost_per_token: 0.000002, input_cost_per_token_above_200k_tokens: 0.000005, output_cost_per_token_above_200k_tokens: 0.000007");
        var gpt41 = DeploymentOf("openai/gpt-4.1");

        // 250,000 prompt tokens (50,000 of them cache reads) and 1,000 output: $6/M, $0.60/M reads and $22.50/M on Sonnet 4.5.
        var longCall = new TokenUsage(250_000, 1_000, CachedTokens: 50_000);
        Assert.Equal(200_000 * 0.000006m + 50_000 * 0.0000006m + 1_000 * 0.0000225m, Prices.CostOf(sonnet, longCall));
        Assert.Equal(200_000 * 0.000003m + 1_000 * 0.000015m, Prices.CostOf(sonnet, new TokenUsage(200_000, 1_000))); // not over: standard
        // Anthropic's rule for a configured price without long-context rates: 2× input, 1.5× output.
        Assert.Equal(250_000 * 0.000002m + 1_000 * 0.000003m, Prices.CostOf(configured, longCall with { CachedTokens = 0 }));
        Assert.Equal(250_000 * 0.000005m + 1_000 * 0.000007m, Prices.CostOf(explicitRates, longCall with { CachedTokens = 0 }));
        // OpenAI bills a long prompt at the same rates.
        Assert.Equal(250_000 * 0.000002m + 1_000 * 0.000008m, Prices.CostOf(gpt41, longCall with { CachedTokens = 0 }));
    }

    [Fact]
    public void ThePriorityTierIsBilledAtItsRatesTheTablesTheConfiguredOrTwiceTheStandard()
    {
        var usage = new TokenUsage(10_000, 1_000, CachedTokens: 4_000);

        // gpt-5 priority: $2.50/M input, $0.25/M cached, $20/M output.
        Assert.Equal(6_000 * 0.0000025m + 4_000 * 0.00000025m + 1_000 * 0.00002m, Prices.CostOf(DeploymentOf("openai/gpt-5"), usage, new BillingTerms(Priority: true)));
        Assert.Equal(6_000 * 0.00000125m + 4_000 * 0.000000125m + 1_000 * 0.00001m, Prices.CostOf(DeploymentOf("openai/gpt-5"), usage));
        // A configured priority input rate alone: the output at twice its standard rate.
        var configured = DeploymentOf("openai/in-house", "input_cost_per_token: 0.000001, output_cost_per_token: 0.000002, input_cost_per_token_priority: 0.000003");
        Assert.Equal(10_000 * 0.000003m + 1_000 * 0.000004m, Prices.CostOf(configured, usage with { CachedTokens = 0 }, new BillingTerms(Priority: true)));
        var plain = DeploymentOf("openai/in-house", "input_cost_per_token: 0.000001, output_cost_per_token: 0.000002");
        Assert.Equal(10_000 * 0.000002m + 1_000 * 0.000004m, Prices.CostOf(plain, usage with { CachedTokens = 0 }, new BillingTerms(Priority: true)));
    }

    [Fact]
    public void AnHourLongCacheWriteCostsTwiceTheInputRate()
    {
        var usage = CachedCall with { CacheWrite1hTokens = 1_000 };

        // 4,000 five-minute writes at $3.75/M and 1,000 hour writes at $6/M instead of 5,000 at $3.75/M.
        Assert.Equal(0.03075m - 0.00375m + 0.006m, Prices.CostOf(DeploymentOf("anthropic/claude-sonnet-4-5"), usage));
    }

    [Fact]
    public void OpenAiCachedTokensArePricedAtTheCachedInputRateAndReasoningAsOutput()
    {
        var usage = new TokenUsage(10_000, 300, CachedTokens: 4_000, ReasoningTokens: 200);

        // 6,000 × $2.50/M + 4,000 × $1.25/M + 300 × $10/M (the 200 reasoning tokens are inside the 300).
        Assert.Equal(0.015m + 0.005m + 0.003m, Prices.CostOf(DeploymentOf("openai/gpt-4o"), usage));
    }

    [Fact]
    public void ModelInfoCacheRatesOverrideTheDefaults()
    {
        var sonnet = DeploymentOf("anthropic/claude-sonnet-4", """
            input_cost_per_token: 0.000003, output_cost_per_token: 0.000015, cache_read_input_token_cost: 0.0000001,
            cache_creation_input_token_cost: 0.000004, cache_creation_input_token_cost_above_1hr: 0.000007
            """);
        var usage = CachedCall with { CacheWrite1hTokens = 1_000 };

        Assert.Equal(0.003m + 4_000 * 0.000004m + 1_000 * 0.000007m + 20_000 * 0.0000001m + 0.003m, Prices.CostOf(sonnet, usage));
    }

    [Fact]
    public void AnUnknownAnthropicModelWithAConfiguredPriceGetsAnthropicsCacheMultiples()
    {
        var price = Prices.For(DeploymentOf("anthropic/claude-next", "input_cost_per_token: 0.00001, output_cost_per_token: 0.00005"));

        Assert.Equal((0.000001m, 0.0000125m, 0.00002m), (price.CacheReadRate, price.CacheWriteRate, price.CacheWrite1hRate));
    }

    [Fact]
    public void AnUnknownOpenAiCompatibleModelWithAConfiguredPriceBillsCachedTokensAsInput()
    {
        var local = DeploymentOf("hosted_vllm/llama", "input_cost_per_token: 0.000001, output_cost_per_token: 0.000002");

        Assert.Equal(26_000 * 0.000001m + 200 * 0.000002m, Prices.CostOf(local, CachedCall));
    }

    [Fact]
    public void TheWorstCaseReservesThePromptAtTheDearestCacheWriteRate()
    {
        var sonnet = DeploymentOf("anthropic/claude-sonnet-4", "input_cost_per_token: 0.000003, output_cost_per_token: 0.000015");
        var group = new ModelGroup("claude-sonnet", [sonnet]);

        var (_, cost) = new CostEstimator(Prices).WorstCase(group, promptTokens: 10_000, requestedMaxTokens: 1_000);

        // Every prompt token may be written to the cache for an hour ($6/M), never cheaper than input ($3/M).
        Assert.Equal(10_000 * 0.000006m + 1_000 * 0.000015m, cost);
    }

    [Fact]
    public void TheCacheRateKeysOfModelInfoAreAcceptedWithoutAWarning()
    {
        var (_, warnings) = Load(ConfigWith("anthropic/claude-sonnet-4", """
            cache_read_input_token_cost: 0.0000003, cache_creation_input_token_cost: 0.00000375,
            cache_creation_input_token_cost_above_1hr: 0.000006
            """));

        Assert.DoesNotContain(warnings, w => w.Contains("cache", StringComparison.Ordinal));
    }

    private static DeploymentConfig DeploymentOf(string model, string? modelInfo = null) =>
        Load(ConfigWith(model, modelInfo), new Dictionary<string, string?>()).Config.Deployments.Single();

    private static string ConfigWith(string model, string? modelInfo) => $$"""
        model_list:
          - model_name: m
            litellm_params: { model: "{{model}}", api_key: sk-test, api_base: "http://127.0.0.1:9/v1" }
        {{(modelInfo is null ? "" : $"    model_info: {{ {modelInfo.ReplaceLineEndings(" ")} }}")}}
        general_settings:
          master_key: sk-test
        """;
}
