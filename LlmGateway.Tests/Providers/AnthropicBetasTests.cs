using LlmGateway.Api.Providers.Anthropic;

namespace LlmGateway.Tests.Providers;

/// <summary>The <c>anthropic-beta</c> allow-list: what reaches an Anthropic deployment.</summary>
public class AnthropicBetasTests
{
    private static string? Filter(string? header, params string[]? allowed) =>
        new AnthropicBetas(new AnthropicOptions { AllowedBetas = allowed }).Filter(header);

    [Fact]
    public void ByDefaultClaudeCodesBetasPassAndUnknownOnesAreDroppedSilently() =>
        Assert.Equal("claude-code-20250219,interleaved-thinking-2025-05-14,prompt-caching-2024-07-31",
            Filter("claude-code-20250219, interleaved-thinking-2025-05-14,made-up-2099-01-01 ,prompt-caching-2024-07-31", null));

    [Fact]
    public void AConfiguredListReplacesTheDefault()
    {
        Assert.Equal("output-128k-2025-02-19", Filter("claude-code-20250219,output-128k-2025-02-19", "output-128k-2025-02-19"));
        Assert.Null(Filter("claude-code-20250219", "output-128k-2025-02-19"));
    }

    [Fact]
    public void AStarAllowsEveryBeta() =>
        Assert.Equal("made-up-2099-01-01,another", Filter("made-up-2099-01-01,another", "*"));

    [Fact]
    public void NoHeaderStaysNoHeader() => Assert.Null(Filter(null, null));
}
