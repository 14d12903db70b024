using System.Text;
using LlmGateway.Api.Pricing.Tokens;

namespace LlmGateway.Tests.Pricing;

/// <summary>
/// The hand-written ASCII pre-tokenizer against the o200k pattern it stands in for: the same pieces, piece by piece, on
/// every short string of a representative alphabet and on random ASCII; the same counts on the corpus and the library's.
/// </summary>
public class AsciiPreTokensTests
{
    // One of each class the pattern tells apart on ASCII, the contractions' letters and the symbols it names.
    private const string Alphabet = "aAsS1 \t\n\r\v\f'!/_\u0001\u007f";

    [Fact]
    public void EveryStringOfUpToFourCharactersOfTheAlphabetIsCutWhereThePatternCutsIt()
    {
        var strings = 0;
        foreach (var text in AllStrings(4))
        {
            strings++;
            AssertSamePieces(text);
        }

        Assert.Equal(Enumerable.Range(1, 4).Sum(n => (int)Math.Pow(Alphabet.Length, n)), strings);
    }

    [Fact]
    public void RandomAsciiIsCutWhereThePatternCutsIt()
    {
        var random = new Random(20_261_207);
        string[] parts = ["'s", "'T", "'re", "'VE", "'m", "'Ll", "'d", "'x", "  ", "\r\n", " \n ", "///", "\n/", "1234", "HTTPServer", "iOS"];
        for (var i = 0; i < 20_000; i++)
        {
            var text = new StringBuilder();
            for (var length = random.Next(1, 40); text.Length < length;)
            {
                text.Append(random.Next(4) == 0 ? parts[random.Next(parts.Length)] : ((char)random.Next(128)).ToString());
            }

            AssertSamePieces(text.ToString());
        }
    }

    [Fact]
    public void AsciiTextsCountAsTheLibraryCountsThem()
    {
        var counter = O200kCounterTests.Counter.Value;
        var reference = O200kCounterTests.Reference;
        var texts = TokenCorpus.Texts().Where(t => Ascii.IsValid(t.Text)).ToList();
        Assert.True(texts.Count > 40, $"only {texts.Count} ASCII texts");
        foreach (var (name, text) in texts)
        {
            var unlimited = int.MaxValue;
            Assert.True(reference.CountTokens(text) == counter.CountAscii(Encoding.ASCII.GetBytes(text), ref unlimited), name);
        }
    }

    [Fact]
    public void SpecialTokensAndTheMergeAllowanceCountAsOnTheCharacterPath()
    {
        var counter = O200kCounterTests.Counter.Value;
        foreach (var text in (string[])["a<|endoftext|>b", "<|endofprompt|><|endoftext|>", "x <|endof|> <|endoftext", new string('q', 3000) + " done"])
        {
            foreach (var allowance in (int[])[int.MaxValue, 100, 0])
            {
                var (onChars, onBytes) = (allowance, allowance);
                Assert.Equal(counter.Count(text, ref onChars), counter.CountAscii(Encoding.ASCII.GetBytes(text), ref onBytes));
                Assert.Equal(onChars, onBytes);
            }
        }
    }

    private static void AssertSamePieces(string text)
    {
        var expected = new List<string>();
        foreach (var match in O200kCounter.PreTokens().EnumerateMatches(text))
        {
            expected.Add(text.Substring(match.Index, match.Length));
        }

        var bytes = Encoding.ASCII.GetBytes(text);
        var actual = new List<string>();
        for (var start = 0; start < bytes.Length;)
        {
            var end = AsciiPreTokens.End(bytes, start);
            Assert.True(end > start && end <= bytes.Length, $"{Show(text)}: piece at {start} ends at {end}");
            actual.Add(text[start..end]);
            start = end;
        }

        Assert.True(expected.SequenceEqual(actual), $"{Show(text)}: pattern [{string.Join("|", expected.Select(Show))}], ours [{string.Join("|", actual.Select(Show))}]");
    }

    private static IEnumerable<string> AllStrings(int longest)
    {
        IEnumerable<string> level = [""];
        for (var length = 1; length <= longest; length++)
        {
            level = level.SelectMany(prefix => Alphabet.Select(c => prefix + c)).ToList();
            foreach (var text in level)
            {
                yield return text;
            }
        }
    }

    private static string Show(string text) =>
        string.Concat(text.Select(c => c is >= ' ' and < '\u007f' ? c.ToString() : $"\\x{(int)c:x2}"));
}
