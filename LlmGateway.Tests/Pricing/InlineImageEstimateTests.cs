using System.Text;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Pricing.Tokens;

namespace LlmGateway.Tests.Pricing;

/// <summary>
/// An inline image's base64 data is the picture (1,600 tokens), not ~0.7 tokens a byte of text — in every client format —
/// and only data that really is an image is left out: anything else in those fields still counts as text.
/// </summary>
public class InlineImageEstimateTests
{
    private const string Text = """{"type":"text","text":"What does this screenshot show? Explain the error in the terminal."}""";

    /// <summary>Base64 of a PNG of <paramref name="bytes"/> bytes (random after its header: as dense as a real one).</summary>
    public static string Png(int bytes, int seed = 1)
    {
        var png = new byte[bytes];
        new Random(seed).NextBytes(png);
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(png, 0);
        return Convert.ToBase64String(png);
    }

    private static byte[] Body(string parts) => Encoding.UTF8.GetBytes(
        $$"""{"model":"m","max_tokens":100,"messages":[{"role":"user","content":[{{parts}}]}]}""");

    /// <summary>The same body with every "{0}" empty: the text around the image, and the image's 1,600.</summary>
    private static long WithoutData(string part) => PromptTokens.Estimate(Body(Text + "," + part.Replace("{0}", "", StringComparison.Ordinal)));

    private static long Estimate(string part, string data) =>
        PromptTokens.Estimate(Body(Text + "," + part.Replace("{0}", data, StringComparison.Ordinal)));

    public static TheoryData<string, string> Images => new()
    {
        { "chat image_url object", """{"type":"image_url","image_url":{"url":"data:image/png;base64,{0}","detail":"high"}}""" },
        { "chat image_url string", """{"type":"image_url","image_url":"data:image/png;base64,{0}"}""" },
        { "chat, type last", """{"image_url":{"detail":"auto","url":"data:image/png;base64,{0}"},"type":"image_url"}""" },
        { "responses input_image", """{"type":"input_image","image_url":"data:image/png;base64,{0}","detail":"auto"}""" },
        { "anthropic image", """{"type":"image","source":{"type":"base64","media_type":"image/png","data":"{0}"}}""" },
        { "anthropic, fields reversed", """{"source":{"data":"{0}","media_type":"image/png","type":"base64"},"type":"image"}""" },
        { "escaped names", """{"\u0074ype":"image","\u0073ource":{"\u0074ype":"base64","media_type":"image/png","\u0064ata":"{0}"}}""" },
        { "anthropic tool_result", """{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"shot"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"{0}"}}]}""" },
    };

    [Theory]
    [MemberData(nameof(Images))]
    public void AnInlineImageCountsAsItsImageTokensNotItsBase64(string format, string part)
    {
        var estimate = Estimate(part, Png(300_000));

        var expected = WithoutData(part);
        Assert.True(expected > PromptTokens.ImageTokens, format);
        Assert.InRange(estimate, expected - 3, expected + 3);
    }

    [Theory]
    [InlineData("+", "\\u002B")]
    [InlineData("+", "\\u002b")]
    [InlineData("/", "\\/")]
    [InlineData("/", "\\u002F")]
    [InlineData("=", "\\u003D")]
    public void BaseSixtyFourSymbolsEscapedAsSerializersWriteThemAreStillTheImage(string symbol, string escape)
    {
        // System.Text.Json's default encoder writes every "+" as \u002B; PHP's json_encode every "/" as \/.
        const string part = """{"type":"image_url","image_url":{"url":"data:image\/png;base64,{0}"}}""";
        var data = Png(300_001).Replace(symbol, escape, StringComparison.Ordinal);
        Assert.Contains(escape, data, StringComparison.Ordinal);

        var expected = WithoutData(part);
        Assert.InRange(Estimate(part, data), expected - 3, expected + 3);
    }

    [Fact]
    public void SeveralImagesEachCountTheirImageTokens()
    {
        const string part = """{"type":"image_url","image_url":{"url":"data:image/png;base64,{0}"}}""";
        var three = string.Join(",", Enumerable.Range(1, 3).Select(seed => part.Replace("{0}", Png(50_000, seed), StringComparison.Ordinal)));

        var estimate = PromptTokens.Estimate(Body(Text + "," + three));

        var text = PromptTokens.Estimate(Body(Text));
        Assert.InRange(estimate, text + 3 * PromptTokens.ImageTokens, text + 3 * PromptTokens.ImageTokens + 60);
    }

    [Fact]
    public void AnImagePartInsideAnotherIsCountedInBodyOrder()
    {
        const string image = """{"type":"image","source":{"type":"base64","media_type":"image/png","data":"{0}"}""";
        var outer = image.Replace("{0}", Png(30_000, 1), StringComparison.Ordinal) + ",\"content\":[" + image.Replace("{0}", Png(30_000, 2), StringComparison.Ordinal) + "}]}";

        var estimate = PromptTokens.Estimate(Body(Text + "," + outer));

        var text = PromptTokens.Estimate(Body(Text));
        Assert.InRange(estimate, text + 2 * PromptTokens.ImageTokens, text + 2 * PromptTokens.ImageTokens + 80);
    }

    public static TheoryData<string, string, string> NotImageData => new()
    {
        { "not an image media type", """{"type":"image_url","image_url":{"url":"data:text/plain;base64,{0}"}}""", Png(40_000) },
        { "not base64", """{"type":"image_url","image_url":{"url":"data:image/svg+xml,{0}"}}""", Png(40_000) },
        { "not only base64", """{"type":"input_image","image_url":"data:image/png;base64,{0}"}""", Png(40_000) + " Ignore the image; write a 5,000 word essay." },
        { "base64 of no image", """{"type":"image_url","image_url":"data:image/png;base64,{0}"}""", Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Write a long essay about anything at all. ", 800)))) },
        { "another escape", """{"type":"image_url","image_url":{"url":"data:image/png;base64,{0}"}}""", Png(40_000).Replace("A", "\\u0041", StringComparison.Ordinal) },
        { "an escaped quote", """{"type":"image","source":{"type":"base64","media_type":"image/png","data":"{0}"}}""", Png(40_000) + "\\\" and a prompt" },
        { "data after padding", """{"type":"image_url","image_url":"data:image/png;base64,{0}"}""", Png(40_000 + 1) + "QUFB" },
        { "a text part", """{"type":"text","text":"x","image_url":"data:image/png;base64,{0}"}""", Png(40_000) },
        { "an anthropic url source", """{"type":"image","source":{"type":"url","url":"https://x/a.png","data":"{0}"}}""", Png(40_000) },
        { "data outside the source", """{"type":"image","source":{"type":"base64","media_type":"image/png","data":""},"data":"{0}"}""", Png(40_000) },
        { "data in image_url's source", """{"type":"image_url","image_url":{"url":"","source":{"type":"base64","data":"{0}"}}}""", Png(40_000) },
        { "url outside image_url", """{"type":"image_url","image_url":{"url":""},"extra":{"url":"data:image/png;base64,{0}"}}""", Png(40_000) },
        { "an anthropic document", """{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"{0}"}}""", Png(40_000) },
        { "an openai file", """{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,{0}"}}""", Png(40_000) },
    };

    [Theory]
    [MemberData(nameof(NotImageData))]
    public void AnythingButInlineImageDataInThoseFieldsIsCountedAsText(string what, string part, string data)
    {
        var estimate = Estimate(part, data);

        // Base64 and text both count well over a token per four bytes: left out, the estimate would be the one without it.
        Assert.True(estimate > WithoutData(part) + data.Length / 4, $"{what}: {estimate} vs {WithoutData(part)} without {data.Length} B");
    }

    [Fact]
    public void AScreenshotResentTheNextTurnLeavesTheTextAroundItCached()
    {
        var counter = new BodyTokens(O200kCounterTests.Counter.Value, new ChunkCountCache(4096));
        var conversation = Encoding.UTF8.GetString(TokenCorpus.ClaudeCodeBody(60_000));
        var image = $$$"""{"type":"image","source":{"type":"base64","media_type":"image/png","data":"{{{Png(200_000)}}}"}}""";
        var at = conversation.IndexOf("\"content\":[", StringComparison.Ordinal) + "\"content\":[".Length;
        var first = Encoding.UTF8.GetBytes(conversation.Insert(at, image + ","));
        var next = TokenCorpus.Grown(first, "The terminal shows a failed build: CS0103 in Program.cs line 12.");
        var skipped = MediaParts.Read(first).Data.ImageData;
        var nextSkipped = MediaParts.Read(next).Data.ImageData;
        Assert.NotNull(skipped);
        Assert.NotNull(nextSkipped);

        var firstCount = counter.Count(first, skipped);
        var (hits, misses) = (counter.Cache.Hits, counter.Cache.Misses);
        var nextCount = counter.Count(next, nextSkipped);

        Assert.InRange(counter.Cache.Misses - misses, 1, 4);
        Assert.True(counter.Cache.Hits - hits >= 5, $"{counter.Cache.Hits - hits} hits");
        Assert.InRange(firstCount, 10_000, 30_000);
        Assert.InRange(nextCount, firstCount, firstCount + 500);
        Assert.Equal(new BodyTokens(O200kCounterTests.Counter.Value, new ChunkCountCache(0)).Count(next, nextSkipped), nextCount);
    }

    [Fact]
    public void TheCeilingAppliesToTheBytesCountedNotToTheImageData()
    {
        var text = new string('x', BodyTokens.CeilingBytes);
        var huge = Body($$$"""{"type":"text","text":"{{{text}}}"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"{{{Png(30_000)}}}"}}""");
        var skipped = MediaParts.Read(huge).Data.ImageData;

        Assert.Equal(huge.Length - 40_000, PromptTokens.Estimate(huge) - PromptTokens.ImageTokens);
        Assert.Single(skipped!);
    }
}
