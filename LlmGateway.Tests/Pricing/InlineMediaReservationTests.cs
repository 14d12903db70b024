using System.Net;
using LlmGateway.Tests.Adversarial;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Pricing;

/// <summary>
/// Media sent inline, as Claude Code, Codex and the SDKs send it, routed and reserved as the provider bills it.
/// A pasted screenshot: 1.5 MB of PNG is 2 MB of base64, which counted as text was ~1.7 M prompt tokens — over a
/// 128,000-token context window and any tpm limit. It is reserved as the text around it plus 1,600: a key with
/// <c>tpm_limit: 2500</c> is answered, one with 1,600 (less than the image and the output) is refused before the upstream.
/// A scanned PDF: 1.5 MB of PDF is ~1.4 M tokens read as text, so the context-window check refused it (400) on a model with
/// <c>max_input_tokens: 200000</c> although its pages fit. The check now compares the text around it and 10,000 per
/// document, and the reservation bounds the base64 by the window (the provider refuses a longer prompt): a key with
/// <c>tpm_limit: 250000</c> is answered, one with 150,000 (less than the window and the output) is refused.
/// </summary>
public sealed class InlineMediaReservationTests(TestServers servers) : AdversarialTestBase(servers)
{
    private static readonly string Screenshot = InlineImageEstimateTests.Png(1_500_000);
    private static readonly string Scanned = InlinePdfEstimateTests.Pdf(1_500_000);

    [Fact]
    public Task AChatRequestWithAScreenshotInlineIsRoutedAndReservedAsItsTextAndOneImage() =>
        RoutedAndReservedAsync("openai/vision", "/v1/chat/completions", $$$"""
            {"model":"chat","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"What is in this screenshot?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,{{{Screenshot}}}"}}]}]}
            """, window: 128_000, roomyTpm: 2_500, tightTpm: 1_600);

    [Fact]
    public Task AMessagesRequestWithAScreenshotInlineIsRoutedAndReservedAsItsTextAndOneImage() =>
        RoutedAndReservedAsync("anthropic/claude-sonnet-4-5", "/v1/messages", $$$"""
            {"model":"chat","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"What is in this screenshot?"},
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"{{{Screenshot}}}"}}]}]}
            """, window: 128_000, roomyTpm: 2_500, tightTpm: 1_600);

    [Fact]
    public Task AMessagesRequestWithAScannedPdfInlineIsRoutedAndReservedWithinTheWindow() =>
        RoutedAndReservedAsync("anthropic/claude-sonnet-4-5", "/v1/messages", $$$"""
            {"model":"chat","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"Summarise this contract."},
              {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"{{{Scanned}}}"}}]}]}
            """, window: 200_000, roomyTpm: 250_000, tightTpm: 150_000);

    [Fact]
    public Task AChatRequestWithAScannedPdfInlineIsRoutedAndReservedWithinTheWindow() =>
        RoutedAndReservedAsync("openai/gpt-4o", "/v1/chat/completions", $$$"""
            {"model":"chat","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"Summarise this contract."},
              {"type":"file","file":{"filename":"contract.pdf","file_data":"data:application/pdf;base64,{{{Scanned}}}"}}]}]}
            """, window: 200_000, roomyTpm: 250_000, tightTpm: 150_000);

    [Fact]
    public Task AResponsesRequestWithAScannedPdfInlineIsRoutedAndReservedWithinTheWindow() =>
        RoutedAndReservedAsync("openai/gpt-4o", "/v1/responses", $$$"""
            {"model":"chat","max_output_tokens":100,"input":[{"role":"user","content":[{"type":"input_text","text":"Summarise this contract."},
              {"type":"input_file","filename":"contract.pdf","file_data":"data:application/pdf;base64,{{{Scanned}}}"}]}]}
            """, window: 200_000, roomyTpm: 250_000, tightTpm: 150_000);

    /// <summary>Keys without a limit (only the context window applies), with room for the media, and without.</summary>
    private async Task RoutedAndReservedAsync(string providerModel, string path, string body, long window, long roomyTpm, long tightTpm)
    {
        var host = await StartApiAsync(Config(Model("chat", providerModel, Primary,
            "input_cost_per_token: 0", "output_cost_per_token: 0", "max_output_tokens: 100", $"max_input_tokens: {window}")));
        var (_, unlimited) = await TeamAndKeyAsync(host, new { team_alias = "media-unlimited" });
        var (_, roomy) = await TeamAndKeyAsync(host, new { team_alias = "media" }, new { tpm_limit = roomyTpm });
        var (_, tight) = await TeamAndKeyAsync(host, new { team_alias = "media-tight" }, new { tpm_limit = tightTpm });

        using var routed = await PostAsync(host, unlimited, path, body);
        using var answered = await PostAsync(host, roomy, path, body);
        using var refused = await PostAsync(host, tight, path, body);

        Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("tokens", await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(2, Primary.RequestCount);
    }
}
