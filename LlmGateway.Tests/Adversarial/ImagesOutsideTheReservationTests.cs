using System.Net;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: send images and documents by URL — a few text tokens in the body, thousands of tokens on the provider's bill.
/// The prompt estimate adds 1,600 tokens per image and 10,000 per document, however the part's type is spelled; a
/// document only referred to (URL, file id) is reserved as 100 pages, bounded by the deployment's <c>max_input_tokens</c>.
/// </summary>
public sealed class ImagesOutsideTheReservationTests(TestServers servers) : AdversarialTestBase(servers)
{
    private const string Image = """{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}""";

    private Task<GatewayApiHost> StartAsync() => StartApiAsync(Config(Model("chat", "openai/vision", Primary,
        "input_cost_per_token: 0", "output_cost_per_token: 0", "max_output_tokens: 100")));

    [Fact]
    public async Task TwoImagesByUrlAreReservedAsThousandsOfTokens()
    {
        var host = await StartAsync();
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "images" }, new { tpm_limit = 3000 });

        using var images = await ChatAsync(host, key, content: $$"""[{"type":"text","text":"what is this?"},{{Image}},{{Image}}]""");
        using var text = await ChatAsync(host, key, content: "\"what is this?\"");

        Assert.Equal(HttpStatusCode.TooManyRequests, images.StatusCode);
        Assert.Contains("tokens", await images.Content.ReadAsStringAsync(Timeout));
        Assert.Equal(HttpStatusCode.OK, text.StatusCode);
        Assert.Equal(1, Primary.RequestCount);
    }

    [Fact]
    public async Task AnEscapedPartTypeIsCountedAsTheProviderReadsIt()
    {
        var host = await StartAsync();
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "escaped-images" }, new { tpm_limit = 3000 });
        var escaped = Image.Replace("\"type\":\"image_url\"", "\"type\":\"\\u0069mage_url\"", StringComparison.Ordinal);

        using var response = await ChatAsync(host, key, content: $"[{escaped},{escaped}]");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(0, Primary.RequestCount);
    }

    [Fact]
    public async Task ADocumentByUrlIsReservedAsTenThousandTokens()
    {
        var host = await StartAsync();
        var (_, key) = await TeamAndKeyAsync(host, new { team_alias = "documents" }, new { tpm_limit = 5000 });

        using var response = await PostAsync(host, key, "/v1/messages", """
            {"model":"chat","max_tokens":10,"messages":[{"role":"user","content":[
              {"type":"document","source":{"type":"url","url":"https://example.com/report.pdf"}},
              {"type":"text","text":"summarise"}]}]}
            """);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(0, Primary.RequestCount);
    }

    [Fact]
    public async Task ADocumentOnlyReferredToIsReservedUpToTheContextWindowAndAnInlineOneByItsSize()
    {
        var host = await StartApiAsync(Config(Model("chat", "openai/vision", Primary,
            "input_cost_per_token: 0", "output_cost_per_token: 0", "max_output_tokens: 100", "max_input_tokens: 40000")));
        var (_, small) = await TeamAndKeyAsync(host, new { team_alias = "pdf-small" }, new { tpm_limit = 30_000 });
        var (_, large) = await TeamAndKeyAsync(host, new { team_alias = "pdf-large" }, new { tpm_limit = 45_000 });
        const string byFileId = """[{"type":"file","file":{"file_id":"file-abc"}},{"type":"text","text":"summarise"}]""";
        const string inline = """[{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0xLjQK","filename":"a.pdf"}},{"type":"text","text":"summarise"}]""";

        // 40,000 prompt tokens (max_input_tokens) + 100 output at worst: over 30,000, under 45,000.
        using var refused = await ChatAsync(host, small, content: byFileId);
        using var inlineAdmitted = await ChatAsync(host, small, content: inline);
        using var admitted = await ChatAsync(host, large, content: byFileId);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, inlineAdmitted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
        Assert.Equal(2, Primary.RequestCount);
    }
}
