using System.Text;
using Microsoft.ML.Tokenizers;

namespace LlmGateway.Api.Pricing;

/// <summary>
/// The one prompt-token estimate of a request, for its budget reservation and its context-window routing: the o200k
/// tokenizer over the body (messages, system and tools alike) up to 64 KB, beyond that bytes/3 (tokenizing megabytes on
/// the hot path is not worth it, and a reservation had better be high than low), plus a fixed estimate per image and per
/// document (<see cref="MediaParts"/>): a URL or file id is a few text tokens, the provider bills the picture or the pages.
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

    private const int TokenizeUpToBytes = 64 * 1024;
    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public static long Estimate(ReadOnlySpan<byte> body) => EstimateWithMedia(body).Tokens;

    /// <summary>The gateway's tokenizer: token-id prompts are read as its ids.</summary>
    public const string TokenizerName = "o200k_base";

    // o200k_base's ids: 199,998 ordinary tokens, then the special ones up to <|endofprompt|>.
    private const int TokenizerVocabulary = 200_019;

    /// <summary>The text of <paramref name="ids"/> in <see cref="TokenizerName"/>; null when one is not in its vocabulary.</summary>
    public static string? Decode(IReadOnlyList<int> ids) =>
        ids.Count > 0 && ids.All(id => id is >= 0 and < TokenizerVocabulary) ? DecodeKnown(ids) : null;

    private static string? DecodeKnown(IReadOnlyList<int> ids)
    {
        try
        {
            return O200k.Value.Decode(ids);
        }
        catch (ArgumentException)
        {
            return null; // an id inside the range that the vocabulary leaves unassigned
        }
    }

    /// <summary>The estimate, and how many of its documents are unsized (counted at <see cref="DocumentTokens"/> in it).</summary>
    public static (long Tokens, int UnsizedDocuments) EstimateWithMedia(ReadOnlySpan<byte> body)
    {
        var media = MediaParts.Count(body);
        return (Text(body) + media.Images * ImageTokens + media.Documents * DocumentTokens, media.UnsizedDocuments);
    }

    private static long Text(ReadOnlySpan<byte> body)
    {
        if (body.Length > TokenizeUpToBytes)
        {
            return body.Length / 3;
        }

        try
        {
            // Decoded into a pooled buffer, not a string per request.
            var chars = System.Buffers.ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(body.Length));
            try
            {
                return O200k.Value.CountTokens(chars.AsSpan(0, Encoding.UTF8.GetChars(body, chars)));
            }
            finally
            {
                System.Buffers.ArrayPool<char>.Shared.Return(chars);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or ArgumentException)
        {
            return body.Length / 3;
        }
    }
}
