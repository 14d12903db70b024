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

    [Fact]
    public Task AChatRequestWithAScreenshotInlineIsRoutedAndReservedAsItsTextAndOneImage() =>
        RoutedAndReservedAsync("openai/vision", "/v1/chat/completions", $$$"""
            {"model":"chat","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"What is in this screenshot?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,{{{Screenshot}}}"}}]}]}
            """);

    [Fact]
    public Task AMessagesRequestWithAScreenshotInlineIsRoutedAndReservedAsItsTextAndOneImage() =>
        RoutedAndReservedAsync("anthropic/claude-sonnet-4-5", "/v1/messages", $$$"""
            {"model":"chat","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"What is in this screenshot?"},
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"{{{Screenshot}}}"}}]}]}
            """);

    /// <summary>Keys without a limit (only the context window applies), with room for the image, and without.</summary>
    private async Task RoutedAndReservedAsync(string providerModel, string path, string body)
    {
        var host = await StartApiAsync(Config(Model("chat", providerModel, Primary,
            "input_cost_per_token: 0", "output_cost_per_token: 0", "max_output_tokens: 100", "max_input_tokens: 128000")));
        var (_, unlimited) = await TeamAndKeyAsync(host, new { team_alias = "screenshot-unlimited" });
        var (_, roomy) = await TeamAndKeyAsync(host, new { team_alias = "screenshot" }, new { tpm_limit = 2_500 });
        var (_, tight) = await TeamAndKeyAsync(host, new { team_alias = "screenshot-tight" }, new { tpm_limit = 1_600 });

        using var routed = await PostAsync(host, unlimited, path, body);
        using var answered = await PostAsync(host, roomy, path, body);
        using var refused = await PostAsync(host, tight, path, body);

        Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(2, Primary.RequestCount);
    }
}
