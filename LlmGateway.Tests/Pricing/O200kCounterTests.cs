using LlmGateway.Api.Pricing;
using LlmGateway.Api.Pricing.Tokens;
using Microsoft.ML.Tokenizers;

namespace LlmGateway.Tests.Pricing;

/// <summary>The gateway's own o200k counter against Microsoft.ML.Tokenizers, the reference it replaced.</summary>
public class O200kCounterTests
{
    /// <summary>
    /// A new instance per text: a reused one answers from its own cache of pieces and was seen to count a 65 KB body 24
    /// tokens higher after it had counted the corpus than a fresh one did (Microsoft.ML.Tokenizers 2.0.1).
    /// </summary>
    internal static Tokenizer Reference => TiktokenTokenizer.CreateForEncoding("o200k_base");
    internal static readonly Lazy<O200kCounter> Counter = new(() => new O200kCounter(O200kVocabulary.Load()));

    [Fact]
    public void CountsEqualTheLibrarysOnEveryTextOfTheCorpus()
    {
        var wrong = new List<string>();
        var texts = 0;
        foreach (var (name, text) in TokenCorpus.Texts())
        {
            texts++;
            var (expected, actual) = (Reference.CountTokens(text), Counter.Value.Count(text));
            if (expected != actual)
            {
                wrong.Add($"{name}: library {expected}, ours {actual}");
            }
        }

        Assert.True(texts > 100, $"only {texts} texts");
        Assert.Empty(wrong);
    }

    [Fact]
    public void EachPieceOfALongMixedTextCountsAsTheLibrarySays()
    {
        // Small texts make a mismatch name its piece: every 1..40-char window of random mixes.
        var random = new Random(7);
        var reference = Reference;
        var text = TokenCorpus.Texts().Single(t => t.Name == "random mix 3").Text + TokenCorpus.Texts().Single(t => t.Name == "contractions").Text;
        for (var i = 0; i < 3000; i++)
        {
            var start = random.Next(text.Length - 41);
            var window = text.Substring(start, random.Next(1, 40));
            if (char.IsLowSurrogate(window[0]) || char.IsHighSurrogate(window[^1]))
            {
                continue;
            }

            Assert.True(reference.CountTokens(window) == Counter.Value.Count(window), $"'{window}'");
        }
    }

    [Fact]
    public void IsTokenAgreesWithRankOfOnEveryTokenAndOnPiecesThatAreNone()
    {
        var vocabulary = O200kVocabulary.Load();
        var (tokens, shortOnes) = (0, 0);
        for (var rank = 0; rank < vocabulary.Count; rank++)
        {
            var token = vocabulary.BytesOf(rank);
            Assert.True(vocabulary.IsToken(token), $"rank {rank}");
            (tokens, shortOnes) = (tokens + 1, shortOnes + (token.Length <= 7 ? 1 : 0));
        }

        // Short pieces from text-like bytes: most are tokens, many are not; both answers must be RankOf's.
        var random = new Random(5);
        var (yes, no) = (0, 0);
        for (var i = 0; i < 200_000; i++)
        {
            var piece = new byte[random.Next(1, 10)];
            for (var j = 0; j < piece.Length; j++)
            {
                piece[j] = (byte)(random.Next(8) == 0 ? random.Next(256) : " etaoinshrdlu"[random.Next(13)]);
            }

            var expected = vocabulary.RankOf(piece) >= 0;
            Assert.True(expected == vocabulary.IsToken(piece), Convert.ToHexString(piece));
            (yes, no) = expected ? (yes + 1, no) : (yes, no + 1);
        }

        Assert.True(tokens > 199_000 && shortOnes > 50_000 && yes > 5_000 && no > 5_000, $"{tokens} tokens, {shortOnes} short, {yes} yes, {no} no");
    }

    [Fact]
    public void DecodeEqualsTheLibrarysOnRandomValidIds()
    {
        var random = new Random(11);
        var reference = Reference;
        for (var i = 0; i < 500; i++)
        {
            var ids = Enumerable.Range(0, random.Next(1, 30)).Select(_ => random.Next(199_998)).ToArray();
            Assert.Equal(reference.Decode(ids), PromptTokens.Decode(ids));
        }

        int[] specials = [9906, 199_999, 1917, 200_018];
        Assert.Equal(Reference.Decode(specials), PromptTokens.Decode(specials));
    }

    [Fact]
    public void TextsRoundTripThroughTheLibrarysIdsAndOurDecode()
    {
        foreach (var (name, text) in TokenCorpus.Texts().Take(40))
        {
            var ids = Reference.EncodeToIds(text);
            Assert.True(Reference.Decode(ids) == PromptTokens.Decode(ids.ToArray()), name);
        }
    }

    [Fact]
    public void IdsOutsideTheVocabularyDecodeToNull()
    {
        Assert.Null(PromptTokens.Decode([1, 199_998]));
        Assert.Null(PromptTokens.Decode([200_019]));
        Assert.Null(PromptTokens.Decode([-1]));
        Assert.Null(PromptTokens.Decode([]));
        Assert.Equal("Hello", PromptTokens.Decode([13225]));
    }
}
