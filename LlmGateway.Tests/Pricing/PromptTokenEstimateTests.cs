using System.Text;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Pricing.Tokens;

namespace LlmGateway.Tests.Pricing;

/// <summary>Whole bodies counted chunk by chunk: close to the whole count, never far below it, and cached across turns.</summary>
public class PromptTokenEstimateTests
{
    private static int Whole(byte[] body) => O200kCounterTests.Reference.CountTokens(Encoding.UTF8.GetString(body));

    private static BodyTokens Fresh(int entries = 4096) => new(O200kCounterTests.Counter.Value, new ChunkCountCache(entries));

    [Fact]
    public void AClaudeCodeBodyOf120KbIsEstimatedWithinAFewTokensOfItsWholeCount()
    {
        var body = TokenCorpus.ClaudeCodeBody(120_000);
        Assert.InRange(body.Length, 115_000, 160_000);

        var estimate = Fresh().Count(body, out var chunks);
        var whole = Whole(body);

        Assert.InRange(chunks, 8, 60);
        Assert.InRange(estimate, whole - chunks, whole + chunks);
        Assert.InRange(PromptTokens.Estimate(body), whole - chunks, whole + chunks);
    }

    [Theory]
    [InlineData("base64")]
    [InlineData("hex")]
    [InlineData("digits")]
    [InlineData("uuids")]
    [InlineData("punctuation")]
    public void ADenseBodyOver64KbIsNoLongerUnderCounted(string kind)
    {
        var text = TokenCorpus.Texts().Single(t => t.Name == kind).Text;
        var body = TokenCorpus.Chat(string.Concat(Enumerable.Repeat(text + " ", 80_000 / text.Length + 1)));
        Assert.True(body.Length > 80_000);

        var estimate = PromptTokens.Estimate(body);
        var whole = Whole(body);

        Assert.True(whole > body.Length / 3, $"{kind}: o200k {whole} vs bytes/3 {body.Length / 3}: no longer dense?");
        var chunks = body.Length / ContentChunks.MinBytes + 1;
        Assert.InRange(estimate, whole - chunks, whole + chunks);
    }

    [Fact]
    public void ChunkedCountsAreNeverBelowTheWholeCountByMoreThanTheChunks()
    {
        var texts = TokenCorpus.Texts().Select(t => t.Text).ToList();
        var random = new Random(5);
        for (var i = 0; i < 30; i++)
        {
            var body = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 12).Select(_ => texts[random.Next(texts.Count)])));
            var estimate = Fresh().Count(body, out var chunks);
            var whole = Whole(body);
            Assert.True(estimate >= whole - chunks && estimate <= whole + 2 * chunks, $"body {i}: {body.Length} B, {chunks} chunks, whole {whole}, estimate {estimate}");
        }
    }

    [Fact]
    public void TheNextTurnOfAConversationIsCountedMostlyFromTheCache()
    {
        var counter = Fresh();
        var first = TokenCorpus.ClaudeCodeBody(120_000);
        var next = TokenCorpus.Grown(first, "Program.cs\nREADME.md\nThe file lists the services the gateway starts, in order.");

        counter.Count(first, out var firstChunks);
        var (hits, misses) = (counter.Cache.Hits, counter.Cache.Misses);
        var estimate = counter.Count(next, out var nextChunks);

        var nextHits = counter.Cache.Hits - hits;
        var nextMisses = counter.Cache.Misses - misses;
        Assert.Equal(0, hits);
        Assert.Equal(firstChunks, misses);
        Assert.Equal(nextChunks, nextHits + nextMisses);
        Assert.InRange(nextMisses, 1, 3);
        Assert.InRange(estimate, Whole(next) - nextChunks, Whole(next) + nextChunks);
    }

    [Fact]
    public void WithTheCacheOffEveryChunkIsCountedAgainWithTheSameResult()
    {
        var body = TokenCorpus.ClaudeCodeBody(60_000);
        var off = Fresh(0);

        Assert.Equal(Fresh().Count(body), off.Count(body));
        Assert.Equal(off.Count(body), off.Count(body));
        Assert.Equal(0, off.Cache.Hits);
    }

    [Fact]
    public void TheCacheSettingSizesTheCacheAndZeroTurnsItOff()
    {
        try
        {
            PromptTokens.ConfigureChunkCache(0);
            Assert.Equal(0, PromptTokens.Body!.Cache.Capacity);
            PromptTokens.ConfigureChunkCache(1000);
            Assert.Equal(512, PromptTokens.Body!.Cache.Capacity);
        }
        finally
        {
            PromptTokens.ConfigureChunkCache(PromptTokens.DefaultChunkCacheEntries);
        }

        Assert.Equal(PromptTokens.DefaultChunkCacheEntries, PromptTokens.Body!.Cache.Capacity);
    }

    [Fact]
    public void AHostileBodyMergesNoMoreThanTheAllowanceAndIsNeverUnderCounted()
    {
        // Letters without a space or a case change: every piece a long merge (unbounded, a 4 MB body cost seconds of CPU).
        var random = new Random(11);
        var letters = string.Concat(Enumerable.Range(0, 3 * BodyTokens.MergeAllowanceBytes / 2).Select(_ => (char)('a' + random.Next(26))));
        var body = TokenCorpus.Chat(letters);
        var counter = Fresh();

        var estimate = counter.Count(body, out var chunks);
        // The whole count by the gateway's own counter without an allowance (equal to the library's, O200kCounterTests;
        // the library itself takes minutes over one piece this long).
        var whole = O200kCounterTests.Counter.Value.Count(Encoding.UTF8.GetString(body));
        var (hits, misses) = (counter.Cache.Hits, counter.Cache.Misses);
        var again = counter.Count(body);

        Assert.True(estimate >= whole - chunks, $"estimate {estimate} below the whole count {whole}");
        var pastAllowance = body.Length - BodyTokens.MergeAllowanceBytes;
        Assert.True(estimate > whole + pastAllowance / 4, $"estimate {estimate}: the allowance never ran out (whole {whole})");
        // Only the chunks counted exactly were cached; the next count merges the next allowance's worth, so it is closer.
        Assert.InRange(again, whole - chunks, estimate - 1);
        Assert.InRange(counter.Cache.Hits - hits, 1, chunks - 1);
        Assert.Equal(chunks, (counter.Cache.Hits - hits) + (counter.Cache.Misses - misses));
    }

    [Fact]
    public void AnOrdinaryLargeBodyStaysWithinTheMergeAllowance()
    {
        var body = TokenCorpus.ClaudeCodeBody(400_000);
        Assert.True(body.Length > BodyTokens.MergeAllowanceBytes);

        var estimate = Fresh().Count(body, out var chunks);

        // Past the allowance a piece would count as its bytes, several times its tokens: the estimate would leave this range.
        Assert.InRange(estimate, Whole(body) - chunks, Whole(body) + chunks);
    }

    [Fact]
    public void ABodyPastTheCeilingIsEstimatedAsItsByteCount()
    {
        var body = TokenCorpus.Chat(new string('x', BodyTokens.CeilingBytes));
        Assert.Equal(body.Length, Fresh().Count(body));
        Assert.Equal(body.Length, PromptTokens.Estimate(body));
    }

    [Fact]
    public void ChunksEndAtCharacterBoundariesAndCoverTheBody()
    {
        var body = Encoding.UTF8.GetBytes(string.Concat(TokenCorpus.Texts().Select(t => t.Text)));
        var at = 0;
        while (at < body.Length)
        {
            var length = ContentChunks.NextLength(body.AsSpan(at));
            Assert.InRange(length, 1, ContentChunks.MaxBytes);
            at += length;
            Assert.True(at == body.Length || (body[at] & 0xC0) != 0x80, $"a chunk ends inside a character at {at}");
        }
    }
}
