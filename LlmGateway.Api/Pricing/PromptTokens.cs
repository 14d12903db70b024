using LlmGateway.Api.Pricing.Tokens;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// The one prompt-token estimate of a request, for its budget reservation and its context-window routing: the o200k
/// tokens of the whole body (messages, system and tools alike; <see cref="BodyTokens"/>: counted per content-defined chunk,
/// a chunk seen before served from a cache; past 4 MB the byte count, a ceiling), plus a fixed estimate per image and per
/// document (<see cref="MediaParts"/>): a URL or file id is a few text tokens, the provider bills the picture or the pages.
/// An inline image's base64 data is left out of the text (<see cref="InlineImageData"/>): it is the picture, billed as
/// <see cref="ImageTokens"/>, not ~0.7 tokens a byte. An inline PDF's base64 stays in, a measure of its size, and is also
/// counted apart (<see cref="PromptEstimate.InlineDocumentTokens"/>): a scanned PDF's base64 far outweighs its pages, so the
/// context-window check leaves it out and the reservation bounds it by the window (<see cref="CostEstimator.PromptCeiling"/>).
/// An inline audio clip likewise (<see cref="PromptEstimate.InlineAudioTokens"/>): its base64 is a ceiling of the audio tokens
/// billed for it (a second of the leanest MP3 is ~1,300 base64 characters, ~900 tokens read as text; OpenAI bills ~10
/// tokens a second of audio), so it is reserved at the audio rate, bounded by the window, and left out of the window check.
/// </summary>
public static class PromptTokens
{
    /// <summary>An image as the providers bill it at most: Anthropic ≈ 1,600 (≤ 1.15 megapixels), OpenAI high detail ≤ 1,445.</summary>
    public const long ImageTokens = 1_600;

    /// <summary>A document (PDF) whose size the body does not show: about five pages at Anthropic's 1,500–3,000 tokens a page.</summary>
    public const long DocumentTokens = 10_000;

    /// <summary>
    /// A document only referred to by URL or file id, at worst: 100 pages (the most Anthropic and OpenAI accept per request)
    /// at 3,000 tokens a page, unless the deployment's <c>max_input_tokens</c> bounds the prompt lower.
    /// </summary>
    public const long UnsizedDocumentTokens = 300_000;

    /// <summary>Chunk counts kept by default (<c>Gateway:Pricing:PromptTokenCacheEntries</c>): 32 bytes each, 2 MB.</summary>
    public const int DefaultChunkCacheEntries = 65_536;

    private static readonly Lazy<O200kCounter?> O200k = new(Load);
    private static BodyTokens? bodyTokens;
    private static int chunkCacheEntries = DefaultChunkCacheEntries;

    public static long Estimate(ReadOnlySpan<byte> body) => EstimateWithMedia(body).Tokens;

    /// <summary>The gateway's tokenizer: token-id prompts are read as its ids.</summary>
    public const string TokenizerName = "o200k_base";

    /// <summary>The text of <paramref name="ids"/> in <see cref="TokenizerName"/>; null when one is not in its vocabulary.</summary>
    public static string? Decode(IReadOnlyList<int> ids) =>
        ids.Count > 0 && ids.All(id => id is >= 0 and < O200kCounter.IdLimit) && O200k.Value is { } counter ? counter.Decode(ids) : null;

    /// <summary>Sets the chunk cache's size (entries; 0 turns it off), replacing the cache when the size changes.</summary>
    public static void ConfigureChunkCache(int entries)
    {
        if (entries != chunkCacheEntries)
        {
            (chunkCacheEntries, bodyTokens) = (entries, null);
        }
    }

    /// <summary>The whole-body counter (loaded on first use), or null when the vocabulary could not be read.</summary>
    internal static BodyTokens? Body => O200k.Value is { } counter ? bodyTokens ??= new BodyTokens(counter, new ChunkCountCache(chunkCacheEntries)) : null;

    /// <summary>
    /// A body's estimate. <paramref name="Tokens"/>: the prompt estimate, inline PDFs' and audio clips' base64 counted as
    /// text. <paramref name="InlineDocumentTokens"/>: what of it is inline PDFs' base64 (each PDF is also in it as
    /// <see cref="DocumentTokens"/>). <paramref name="UnsizedDocuments"/>: documents only referred to (counted at
    /// <see cref="DocumentTokens"/> in it).
    /// </summary>
    public readonly record struct PromptEstimate(long Tokens, long InlineDocumentTokens, int UnsizedDocuments)
    {
        /// <summary>What of <see cref="Tokens"/> is inline audio clips' base64: a ceiling of their audio tokens.</summary>
        public long InlineAudioTokens { get; init; }

        /// <summary>How many image parts the body has (inline or by URL).</summary>
        public int Images { get; init; }

        /// <summary>
        /// The estimate with each inline PDF at <see cref="DocumentTokens"/> and each audio clip at nothing: what surely
        /// reaches the model's context window.
        /// </summary>
        public long Fitting => Tokens - InlineDocumentTokens - InlineAudioTokens;
    }

    public static PromptEstimate EstimateWithMedia(ReadOnlySpan<byte> body)
    {
        var (media, inline) = MediaParts.Read(body);
        var text = Text(body, inline.ImageData);
        var withoutPdfs = inline.PdfData is null ? text : Text(body, Merged(inline.ImageData, inline.PdfData));
        var withoutAudio = inline.AudioData is null ? withoutPdfs : Text(body, Merged(inline.ImageData, inline.PdfData, inline.AudioData));
        return new PromptEstimate(text + media.Images * ImageTokens + media.Documents * DocumentTokens,
            Math.Clamp(text - withoutPdfs, 0, text), media.UnsizedDocuments)
        {
            InlineAudioTokens = Math.Clamp(withoutPdfs - withoutAudio, 0, withoutPdfs),
            Images = media.Images,
        };
    }

    /// <summary>Lists of ranges (each in order, none overlapping another) as one, in order.</summary>
    private static List<Range> Merged(params ReadOnlySpan<List<Range>?> lists)
    {
        List<Range> all = [];
        foreach (var list in lists)
        {
            all.AddRange(list ?? []);
        }

        all.Sort((a, b) => a.Start.Value.CompareTo(b.Start.Value));
        return all;
    }

    // No o200k token is shorter than a byte: without the vocabulary, the byte count (less the image data) is a safe ceiling.
    private static long Text(ReadOnlySpan<byte> bytes, List<Range>? imageData) => (Body, imageData) switch
    {
        ({ } counter, null) => counter.Count(bytes),
        ({ } counter, _) => counter.Count(bytes, imageData),
        (null, _) => bytes.Length - (imageData?.Sum(range => range.End.Value - range.Start.Value) ?? 0),
    };

    private static O200kCounter? Load()
    {
        try
        {
            return new O200kCounter(O200kVocabulary.Load());
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or InvalidDataException or BadImageFormatException)
        {
            return null;
        }
    }
}
