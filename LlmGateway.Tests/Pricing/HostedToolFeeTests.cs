using System.Text;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Pricing;

namespace LlmGateway.Tests.Pricing;

/// <summary>The cores of hosted tool fees: the fee of each provider, the priced usage and the calls a body may make (the attack is in Adversarial/).</summary>
public class HostedToolFeeTests
{
    private static readonly PriceTable Prices = new();

    [Theory]
    [InlineData("anthropic/claude-sonnet-4-5", null, 0.01)]
    [InlineData("openai/gpt-4o-2024-08-06", null, 0.025)]
    [InlineData("openai/gpt-4.1-mini", null, 0.025)]
    [InlineData("openai/gpt-5", null, 0.01)]
    [InlineData("openai/gpt-4o-search-preview", null, 0.035)]
    [InlineData("openai/gpt-4o-mini-search-preview", null, 0.0275)]
    [InlineData("hosted_vllm/llama-3", "input_cost_per_token: 0.000001, output_cost_per_token: 0.000001", 0)]
    [InlineData("openai/gpt-5", "search_context_cost_per_query: 0.02", 0.02)]
    [InlineData("openai/gpt-5", "search_context_cost_per_query: { search_context_size_low: 0.01, search_context_size_medium: 0.015, search_context_size_high: 0.03 }", 0.015)]
    [InlineData("openai/gpt-5", "search_context_cost_per_query: { search_context_size_high: 0.03 }", 0.03)]
    public void ASearchCostsModelInfosFeeElseTheProvidersListPrice(string model, string? info, double fee)
    {
        Assert.Equal((decimal)fee, Prices.For(DeploymentOf(model, info)).WebSearchFee);
    }

    [Fact]
    public void SearchesAndFetchesAreAddedToTheTokensAtTheSameFeeOnEveryTier()
    {
        var claude = DeploymentOf("anthropic/claude-in-house", "input_cost_per_token: 0.000001, output_cost_per_token: 0.00001, web_fetch_cost_per_query: 0.002");
        var usage = new TokenUsage(1_000, 100, WebSearchRequests: 3, WebFetchRequests: 2);

        Assert.Equal(1_000 * 0.000001m + 100 * 0.00001m + 3 * 0.01m + 2 * 0.002m, Prices.CostOf(claude, usage));
        Assert.Equal(1_000 * 0.000002m + 100 * 0.00002m + 3 * 0.01m + 2 * 0.002m, Prices.CostOf(claude, usage, new BillingTerms(Priority: true)));
    }

    [Fact]
    public void AChatRequestWithWebSearchOptionsOrToASearchModelIsOneSearchOnOpenAiOnly()
    {
        var gpt = DeploymentOf("openai/gpt-5", "input_cost_per_token: 0, output_cost_per_token: 0");
        var preview = DeploymentOf("openai/gpt-4o-search-preview", "input_cost_per_token: 0, output_cost_per_token: 0");
        var claude = DeploymentOf("anthropic/claude-in-house", "input_cost_per_token: 0, output_cost_per_token: 0");
        var usage = new TokenUsage(10, 10);

        Assert.Equal(0.01m, Prices.CostOf(gpt, usage, new BillingTerms(ChatWebSearch: true)));
        Assert.Equal(0m, Prices.CostOf(gpt, usage));
        Assert.Equal(0.035m, Prices.CostOf(preview, usage));
        Assert.Equal(0m, Prices.CostOf(claude, usage, new BillingTerms(ChatWebSearch: true)));
        // A count in the usage is never doubled by the implied search.
        Assert.Equal(0.02m, Prices.CostOf(gpt, usage with { WebSearchRequests = 2 }, new BillingTerms(ChatWebSearch: true)));
    }

    [Theory]
    [InlineData("""{"tools":[{"type":"function","name":"f"}]}""", 0, 0)]
    [InlineData("""{"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3}]}""", 3, 0)]
    [InlineData("""{"tools":[{"type":"web_search_20250305","name":"web_search"}]}""", 10, 0)]
    [InlineData("""{"tools":[{"type":"web_search"},{"type":"web_fetch_20250910","max_uses":4}]}""", 10, 4)]
    [InlineData("""{"max_tool_calls":2,"tools":[{"type":"web_search_preview"}]}""", 2, 0)]
    [InlineData("""{"web_search_options":{}}""", 1, 0)]
    [InlineData("""{"tools":[{"type":"file_search","vector_store_ids":["vs_1"]}]}""", 0, 0, 10, 0)]
    [InlineData("""{"max_tool_calls":3,"tools":[{"type":"file_search"},{"type":"code_interpreter","container":{"type":"auto"}}]}""", 0, 0, 3, 1)]
    [InlineData("""{"tools":[{"type":"code_interpreter","container":{"type":"auto"}},{"type":"code_interpreter","container":"cntr_1"}]}""", 0, 0, 0, 2)]
    [InlineData("""{"max_tool_calls":0,"tools":[{"type":"code_interpreter","container":{"type":"auto"}}]}""", 0, 0, 0, 0)]
    public void TheCallsABodyMayMakeAreEachToolsMaxUsesElseTheCeilingCappedByMaxToolCalls(string json, long searches, long fetches, long fileSearches = 0, long sessions = 0)
    {
        Assert.True(JsonBody.TryParse(Encoding.UTF8.GetBytes(json), out var body, out _));

        Assert.Equal(new HostedToolUse(searches, fetches, fileSearches, sessions), HostedToolCalls.Of(body).Worst(ceiling: 10));
    }

    [Theory]
    [InlineData("openai/gpt-5", null, 0.0025, 0.03)]
    [InlineData("azure/my-gpt", "input_cost_per_token: 0.000001, output_cost_per_token: 0.000001", 0.0025, 0.03)]
    [InlineData("openai/gpt-5", "file_search_cost_per_1k_calls: 5, code_interpreter_cost_per_session: 0.12", 0.005, 0.12)]
    [InlineData("anthropic/claude-sonnet-4-5", null, 0, 0)]
    [InlineData("hosted_vllm/llama-3", "input_cost_per_token: 0.000001, output_cost_per_token: 0.000001", 0, 0)]
    public void AFileSearchAndACodeInterpreterSessionCostModelInfosFeeElseOpenAisListPrice(string model, string? info, double fileSearch, double session)
    {
        var price = Prices.For(DeploymentOf(model, info));

        Assert.Equal(((decimal)fileSearch, (decimal)session), (price.FileSearchFee, price.CodeInterpreterFee));
    }

    [Fact]
    public void FileSearchesAndCodeInterpreterSessionsAreAddedToTheTokensAtTheSameFeeOnEveryTier()
    {
        var gpt = DeploymentOf("openai/gpt-in-house", "input_cost_per_token: 0.000001, output_cost_per_token: 0.00001");
        var usage = new TokenUsage(1_000, 100) { FileSearchCalls = 4, CodeInterpreterSessions = 2 };

        Assert.Equal(1_000 * 0.000001m + 100 * 0.00001m + 4 * 0.0025m + 2 * 0.03m, Prices.CostOf(gpt, usage));
        Assert.Equal(1_000 * 0.000002m + 100 * 0.00002m + 4 * 0.0025m + 2 * 0.03m, Prices.CostOf(gpt, usage, new BillingTerms(Priority: true)));
    }

    [Fact]
    public void TheWorstCaseAddsTheFeesOfEveryCallTheRequestMayMake()
    {
        var estimator = new CostEstimator(Prices);
        var claude = new ModelGroup("c", [DeploymentOf("anthropic/claude-in-house", "input_cost_per_token: 0, output_cost_per_token: 0.0001, max_output_tokens: 100")]);
        var preview = new ModelGroup("p", [DeploymentOf("openai/gpt-4o-search-preview", "input_cost_per_token: 0, output_cost_per_token: 0.0001, max_output_tokens: 100")]);
        var unbounded = new HostedToolCalls(0, UnboundedSearch: true, 0, false, null, false);

        Assert.Equal(0.01m + 10 * 0.01m, estimator.WorstCase(claude, [], new WorstCaseRequest(0, null) { HostedTools = unbounded }).Cost);
        Assert.Equal(0.01m + 2 * 0.01m, estimator.WorstCase(claude, [], new WorstCaseRequest(0, null) { HostedTools = unbounded with { MaxToolCalls = 2 } }).Cost);
        Assert.Equal(0.01m + 0.035m, estimator.WorstCase(preview, [], new WorstCaseRequest(0, null)).Cost);
        var gpt = new ModelGroup("g", [DeploymentOf("openai/gpt-in-house", "input_cost_per_token: 0, output_cost_per_token: 0.0001, max_output_tokens: 100")]);
        var tools = HostedToolCalls.None with { FileSearch = true, CodeInterpreters = 1 };
        Assert.Equal(0.01m + 10 * 0.0025m + 0.03m, estimator.WorstCase(gpt, [], new WorstCaseRequest(0, null) { HostedTools = tools }).Cost);
    }

    private static DeploymentConfig DeploymentOf(string model, string? modelInfo) => WorstCaseTests.DeploymentOf(model, modelInfo);
}
