using System.Net;
using LlmGateway.Tests.Adversarial;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Pricing;

/// <summary>
/// A pasted screenshot (Claude Code, Codex, the SDKs send it inline): 1.5 MB of PNG is 2 MB of base64, which counted as
/// text was ~1.7 M prompt tokens — over a 128,000-token context window and any tpm limit. It is reserved as the text around
/// it plus 1,600, and routed to a model with <c>max_input_tokens: 128000</c>: a key with <c>tpm_limit: 2500</c> is answered, one with 1,600 (less than the image and the
/// output) is refused before the upstream.
/// </summary>
public sealed class InlineImageReservationTests(TestServers servers) : AdversarialTestBase(servers)
{
    private static readonly string Screenshot = InlineImageEstimateTests.Png(1_500_000);

    /// <summary>Keys without a limit (only the context window applies), with room for the image, and without.</summary>
    private async Task<(GatewayApiHost Host, string Unlimited, string Roomy, string Tight)> StartAsync(string providerModel)
    {
        var host = await StartApiAsync(Config(Model("chat", providerModel, Primary,
            "input_cost_per_token: 0", "output_cost_per_token: 0", "max_output_tokens: 100", "max_input_tokens: 128000")));
        var (_, unlimited) = await TeamAndKeyAsync(host, new { team_alias = "screenshot-unlimited" });
        var (_, roomy) = await TeamAndKeyAsync(host, new { team_alias = "screenshot" }, new { tpm_limit = 2_500 });
        var (_, tight) = await TeamAndKeyAsync(host, new { team_alias = "screenshot-tight" }, new { tpm_limit = 1_600 });
        return (host, unlimited, roomy, tight);
    }

    [Fact]
    public async Task AChatRequestWithAScreenshotInlineIsRoutedAndReservedAsItsTextAndOneImage()
    {
        var (host, unlimited, roomy, tight) = await StartAsync("openai/vision");
        var content = $$$"""
            [{"type":"text","text":"What is in this screenshot?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,{{{Screenshot}}}"}}]
            """;

        using var routed = await ChatAsync(host, unlimited, "\"max_tokens\":100", content);
        using var answered = await ChatAsync(host, roomy, "\"max_tokens\":100", content);
        using var refused = await ChatAsync(host, tight, "\"max_tokens\":100", content);

        Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(2, Primary.RequestCount);
    }

    [Fact]
    public async Task AMessagesRequestWithAScreenshotInlineIsRoutedAndReservedAsItsTextAndOneImage()
    {
        var (host, unlimited, roomy, tight) = await StartAsync("anthropic/claude-sonnet-4-5");
        var body = $$$"""
            {"model":"chat","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"What is in this screenshot?"},
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"{{{Screenshot}}}"}}]}]}
            """;

        using var routed = await PostAsync(host, unlimited, "/v1/messages", body);
        using var answered = await PostAsync(host, roomy, "/v1/messages", body);
        using var refused = await PostAsync(host, tight, "/v1/messages", body);

        Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(2, Primary.RequestCount);
    }
}
