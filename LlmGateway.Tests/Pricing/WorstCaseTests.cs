using System.Text;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Pricing;
using static LlmGateway.Tests.Configuration.ConfigFixtures;

namespace LlmGateway.Tests.Pricing;

/// <summary>The cores of the worst case: the output ceiling, media parts and the thinking budget (the attacks are in Adversarial/).</summary>
public class WorstCaseTests
{
    [Theory]
    [InlineData("openai/gpt-4o-2024-08-06", null, 16_384)]
    [InlineData("anthropic/claude-sonnet-4-5-20250929", null, 64_000)]
    [InlineData("openai/o3", null, 100_000)]
    [InlineData("hosted_vllm/llama-3-70b", null, 4_096)]
    [InlineData("openai/gpt-4.1", "max_output_tokens: 1000", 1_000)]
    public void WithoutMaxTokensTheCeilingIsModelInfoThenTheTableThenTheDefault(string model, string? info, long expected)
    {
        Assert.Equal(expected, CostEstimator.OutputCeiling(DeploymentOf(model, info), new WorstCaseRequest(10, null)));
    }

    [Fact]
    public void ARequestedMaxTokensAboveTheCeilingIsClampedAndAThinkingBudgetIsNot()
    {
        var gpt4o = DeploymentOf("openai/gpt-4o", null);

        Assert.Equal(16_384, CostEstimator.OutputCeiling(gpt4o, new WorstCaseRequest(10, 1_000_000)));
        Assert.Equal(30_000, CostEstimator.OutputCeiling(gpt4o, new WorstCaseRequest(10, 100, ThinkingBudget: 30_000)));
    }

    [Fact]
    public void ImagesAndDocumentsAreCountedInEveryFormatAndSpelling()
    {
        var body = """
            [{"type":"image_url","image_url":{"url":"u"}},{"type":"image","source":{"type":"url","url":"u"}},
             {"type":"input_image","image_url":"u"},{"type":"\u0069mage_url"},{"type":"document","source":{"type":"base64"}},
             {"type":"input_file","file_id":"f"},{"type":"text","text":"an \"image\" and a \"type\":\"image_url\" in text"}]
            """;

        Assert.Equal(new MediaParts.Counts(4, 2, 1), MediaParts.Count(Encoding.UTF8.GetBytes(body)));
        Assert.Equal(default, MediaParts.Count("""{"messages":[{"role":"user","content":"hello"}]}"""u8));
    }

    [Theory]
    [InlineData("""{"tools":[{"type":"function","name":"f","parameters":{"type":"object","properties":{"type":{"type":"string"},"file":{"type":"string"}}}}]}""")]
    [InlineData("""{"input":[{"type":["image"],"content":{"type":{"nested":"document"}}}],"source":["x",{"type":"url"}],"type":null}""")]
    [InlineData("""{"tools":[{"parameters":{"properties":{"source":{"type":"object","properties":{"type":{"enum":["url","file"]}}}}}}]}""")]
    public void ATypeOrSourceThatIsNotAStringOrObjectOfAPartIsNoMediaAndNoError(string body)
    {
        Assert.Equal(default, MediaParts.Count(Encoding.UTF8.GetBytes(body)));
    }

    [Theory]
    [InlineData("""{"type":"document","source":{"type":"url","url":"https://x/a.pdf"}}""", 1)]
    [InlineData("""{"source":{"url":"https://x/a.pdf","type":"url"},"type":"document"}""", 1)]
    [InlineData("""{"type":"document","source":{"type":"file","file_id":"file_1"}}""", 1)]
    [InlineData("""{"type":"file","file":{"file_id":"file-1"}}""", 1)]
    [InlineData("""{"type":"input_file","file_url":"https://x/a.pdf"}""", 1)]
    [InlineData("""{"file_id":"file-1","type":"input_file"}""", 1)]
    [InlineData("""{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBE"}}""", 0)]
    [InlineData("""{"type":"document","source":{"type":"text","media_type":"text/plain","data":"plain"}}""", 0)]
    [InlineData("""{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBE","filename":"a.pdf"}}""", 0)]
    [InlineData("""{"type":"image","source":{"type":"url","url":"https://x/a.png"}}""", 0)]
    [InlineData("""{"type":"input_image","file_id":"file-1"}""", 0)]
    public void ADocumentOnlyReferredToByUrlOrFileIdIsUnsizedInEveryFormatAndFieldOrder(string part, int unsized)
    {
        var counts = MediaParts.Count(Encoding.UTF8.GetBytes($$"""{"messages":[{"role":"user","content":[{{part}}]}]}"""));

        Assert.Equal(unsized, counts.UnsizedDocuments);
        Assert.True(counts.Documents + counts.Images == 1, $"{counts}");
    }

    [Fact]
    public void ThePriorityTierAndALongPromptAreReservedAtTheirRates()
    {
        var estimator = new CostEstimator(new PriceTable());
        var gpt5 = new ModelGroup("g", [DeploymentOf("openai/gpt-5", "max_output_tokens: 1000")]);
        var sonnet = new ModelGroup("s", [DeploymentOf("anthropic/claude-sonnet-4-5", "max_output_tokens: 1000")]);

        Assert.Equal(10_000 * 0.0000025m + 1_000 * 0.00002m, estimator.WorstCase(gpt5, [], new WorstCaseRequest(10_000, null, PriorityTier: true)).Cost);
        Assert.Equal(10_000 * 0.00000125m + 1_000 * 0.00001m, estimator.WorstCase(gpt5, [], new WorstCaseRequest(10_000, null)).Cost);
        // Sonnet 4.5's dearest prompt rate is the hour-long cache write (2× input), at long-context rates past 200,000 tokens.
        Assert.Equal(250_000 * 0.000012m + 1_000 * 0.0000225m, estimator.WorstCase(sonnet, [], new WorstCaseRequest(250_000, null)).Cost);
    }

    [Fact]
    public void TheThinkingBudgetIsReadFromTheTopLevelThinkingObject()
    {
        Assert.Equal(20_000, WorstCaseRequest.ThinkingBudgetOf(Body("""{"thinking":{"type":"enabled","budget_tokens":20000}}""")));
        Assert.Null(WorstCaseRequest.ThinkingBudgetOf(Body("""{"thinking":{"type":"disabled"},"x":{"budget_tokens":5}}""")));
    }

    [Fact]
    public void AnInlinePdfsBase64IsBoundedByTheContextWindowButNeverTheTextAroundIt()
    {
        var windowed = DeploymentOf("anthropic/claude-sonnet-4-5", "max_input_tokens: 200000");
        var unbounded = DeploymentOf("anthropic/claude-sonnet-4-5", null);
        // 1,400,000 tokens of estimate, 1,380,000 of them a scanned PDF's base64: the provider refuses more than the window.
        var scanned = new WorstCaseRequest(1_400_000, 100) { InlineDocumentTokens = 1_380_000 };

        Assert.Equal(200_000, CostEstimator.PromptCeiling(windowed, scanned));
        Assert.Equal(1_400_000, CostEstimator.PromptCeiling(unbounded, scanned));
        // A small PDF: its estimate, under the window, stays whole.
        Assert.Equal(60_000, CostEstimator.PromptCeiling(windowed, new WorstCaseRequest(60_000, 100) { InlineDocumentTokens = 45_000 }));
        // Text around the PDF over the window (refused upstream, yet never reserved below its own estimate).
        Assert.Equal(250_000, CostEstimator.PromptCeiling(windowed, new WorstCaseRequest(1_000_000, 100) { InlineDocumentTokens = 750_000 }));
        // And the token reservation of the worst case follows the ceiling.
        var (tokens, _) = new CostEstimator(new PriceTable()).WorstCase(new ModelGroup("g", [windowed]), [], scanned);
        Assert.Equal(200_000 + 100, tokens);
    }

    private static JsonBody Body(string json) =>
        JsonBody.TryParse(Encoding.UTF8.GetBytes(json), out var body, out _) ? body : throw new InvalidOperationException(json);

    /// <summary>The one deployment of a config with <paramref name="model"/> and the <c>model_info</c> fields given inline.</summary>
    internal static DeploymentConfig DeploymentOf(string model, string? modelInfo) =>
        Load($$"""
            model_list:
              - model_name: m
                litellm_params: { model: "{{model}}", api_key: sk-test, api_base: "http://127.0.0.1:9/v1" }
            {{(modelInfo is null ? "" : $"    model_info: {{ {modelInfo} }}")}}
            general_settings:
              master_key: sk-test
            """, new Dictionary<string, string?>()).Config.Deployments.Single();
}
