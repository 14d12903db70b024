using System.Net;
using System.Text.Json.Nodes;
using LlmGateway.Tests.Infrastructure;
using StackExchange.Redis;
using static LlmGateway.Tests.Caching.CacheCalls;

namespace LlmGateway.Tests.Caching;

public sealed class ResponseCacheTests(CacheFixture fixture) : IClassFixture<CacheFixture>
{
    private const string Gpt = CacheFixture.Gpt;
    private const string Claude = CacheFixture.Claude;

    private static string Prompt() => $"What is the answer {Guid.NewGuid():N}?";

    [Fact]
    public async Task ASecondIdenticalRequestIsAnsweredFromTheCacheWithoutCallingTheUpstream()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync();
        var body = ChatBody(Gpt, Prompt());

        var first = await ChatAsync(fixture.Api, key, body);
        var calls = fixture.Upstream.RequestCount;
        var second = await ChatAsync(fixture.Api, key, body);

        Assert.Equal((HttpStatusCode.OK, "miss"), (first.Status, first.Cache));
        Assert.Equal((HttpStatusCode.OK, "hit"), (second.Status, second.Cache));
        Assert.Equal(calls, fixture.Upstream.RequestCount);
        Assert.Equal(first.Body, second.Body);
        Assert.Equal("0", second.Cost);
    }

    [Fact]
    public async Task KeyOrderAndWhitespaceDoNotChangeTheCacheKeyButTheStreamAndUserFieldsAreIgnoredToo()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync();
        var prompt = Prompt();
        var first = await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt));
        var reordered = $$"""
            {
              "temperature" : 0,
              "max_tokens":   50,
              "user": "someone-else",
              "messages": [ { "content": "{{prompt}}", "role": "user" } ],
              "model": "{{Gpt}}"
            }
            """;
        var calls = fixture.Upstream.RequestCount;

        var second = await ChatAsync(fixture.Api, key, reordered);

        Assert.Equal("miss", first.Cache);
        Assert.Equal("hit", second.Cache);
        Assert.Equal(calls, fixture.Upstream.RequestCount);
        Assert.Equal(first.Text, second.Text);
    }

    [Fact]
    public async Task AChangedParameterIsADifferentKey()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync();
        var prompt = Prompt();
        await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt));

        var warmer = await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt).Replace("\"temperature\":0", "\"temperature\":0.5"));

        Assert.Equal("miss", warmer.Cache);
    }

    [Fact]
    public async Task AnotherTeamSendingTheSamePromptMissesByDefault()
    {
        var (_, keyA) = await fixture.CreateTeamAndKeyAsync();
        var (_, keyB) = await fixture.CreateTeamAndKeyAsync();
        var body = ChatBody(Gpt, Prompt());
        await ChatAsync(fixture.Api, keyA, body);
        var calls = fixture.Upstream.RequestCount;

        var b = await ChatAsync(fixture.Api, keyB, body);
        var bAgain = await ChatAsync(fixture.Api, keyB, body);

        Assert.Equal("miss", b.Cache);
        Assert.Equal(calls + 1, fixture.Upstream.RequestCount);
        Assert.Equal("hit", bAgain.Cache);
    }

    [Fact]
    public async Task WithGlobalScopeAnotherTeamHitsTheSameAnswer()
    {
        var (_, keyA) = await CacheFixture.CreateTeamAndKeyAsync(fixture.GlobalApi);
        var (_, keyB) = await CacheFixture.CreateTeamAndKeyAsync(fixture.GlobalApi);
        var body = ChatBody(Gpt, Prompt());
        var a = await ChatAsync(fixture.GlobalApi, keyA, body);
        var calls = fixture.Upstream.RequestCount;

        var b = await ChatAsync(fixture.GlobalApi, keyB, body);

        Assert.Equal("miss", a.Cache);
        Assert.Equal("hit", b.Cache);
        Assert.Equal(calls, fixture.Upstream.RequestCount);
        Assert.Equal(a.Body, b.Body);
    }

    [Theory]
    [InlineData("/v1/chat/completions", true, true)]
    [InlineData("/v1/chat/completions", false, true)]
    [InlineData("/v1/chat/completions", true, false)]
    [InlineData("/v1/messages", true, true)]
    [InlineData("/v1/messages", false, true)]
    [InlineData("/v1/messages", true, false)]
    public async Task AReplayHasTheTextAndUsageOfTheOriginalWhicheverWayEachWasStreamed(string path, bool originalStreamed, bool replayStreamed)
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync();
        var prompt = Prompt();
        string Body(bool stream) => path == "/v1/messages" ? MessagesBody(Claude, prompt, stream) : ChatBody(Gpt, prompt, stream);

        var original = await SendAsync(fixture.Api, key, path, Body(originalStreamed), null);
        var calls = fixture.Upstream.RequestCount;
        var replay = await SendAsync(fixture.Api, key, path, Body(replayStreamed), null);

        Assert.Equal(("miss", "hit"), (original.Cache, replay.Cache));
        Assert.Equal(calls, fixture.Upstream.RequestCount);
        Assert.StartsWith("Hello from fake-", original.Text);
        Assert.Equal(original.Text, replay.Text);
        Assert.NotNull(original.Usage);
        Assert.True(JsonNode.DeepEquals(original.Usage, replay.Usage), $"{original.Usage} != {replay.Usage}");
    }

    [Fact]
    public async Task EmbeddingsAreCachedToo()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync();
        var body = $$"""{"model":"{{CacheFixture.Embed}}","input":"{{Prompt()}}"}""";

        var first = await SendAsync(fixture.Api, key, "/v1/embeddings", body, null);
        var second = await SendAsync(fixture.Api, key, "/v1/embeddings", body, null);

        Assert.Equal(("miss", "hit"), (first.Cache, second.Cache));
        Assert.Equal(first.Body, second.Body);
    }

    [Fact]
    public async Task AnEntryStoredWithATtlOfOneSecondExpires()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync();
        var ns = $"ttl{Guid.NewGuid():N}";
        var body = ChatBody(Gpt, Prompt(), extra: $$""","cache":{"ttl":1,"namespace":"{{ns}}"}""");
        await ChatAsync(fixture.Api, key, body);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Redis);
        var server = redis.GetServers()[0];
        var stored = server.Keys(pattern: $"llmgateway:cache:*:{ns}:*").ToList();
        Assert.Single(stored);
        Assert.InRange((await redis.GetDatabase().KeyTimeToLiveAsync(stored[0]))!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));

        await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);
        string? cache = null;
        await LocalProcess.WaitUntilAsync(async () =>
        {
            cache = (await ChatAsync(fixture.Api, key, body)).Cache;
            return cache == "miss";
        }, TimeSpan.FromSeconds(10), "the cached answer to expire");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NoCacheGoesUpstreamEvenWhenTheAnswerIsCachedAndStoresTheFreshAnswer(bool inBody)
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync();
        var prompt = Prompt();
        await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt));
        var calls = fixture.Upstream.RequestCount;

        var fresh = inBody
            ? await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt, extra: ""","cache":{"no-cache":true}"""))
            : await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt), NoCacheHeader);
        var after = await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt));

        Assert.Equal((HttpStatusCode.OK, "miss"), (fresh.Status, fresh.Cache));
        Assert.Equal(calls + 1, fixture.Upstream.RequestCount);
        Assert.Equal("hit", after.Cache);
        Assert.Equal(fresh.Body, after.Body);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NoStoreLeavesNothingInTheCache(bool inBody)
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync();
        var prompt = Prompt();

        var unstored = inBody
            ? await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt, extra: ""","cache":{"no-store":true}"""))
            : await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt), NoStoreHeader);
        var next = await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt));
        var third = await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt));

        Assert.Equal((HttpStatusCode.OK, "miss"), (unstored.Status, unstored.Cache));
        Assert.Equal("miss", next.Cache);
        Assert.Equal("hit", third.Cache);
    }

    [Fact]
    public async Task AKeyAllowedOnlySomeCacheControlsIsRefusedTheOthersWith403()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { metadata = new { allowed_cache_controls = new[] { "no-cache" } } });
        var prompt = Prompt();
        var calls = fixture.Upstream.RequestCount;

        var refused = await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt, extra: ""","cache":{"no-store":true}"""));
        var refusedHeader = await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt), NoStoreHeader);
        var allowed = await ChatAsync(fixture.Api, key, ChatBody(Gpt, prompt, extra: ""","cache":{"no-cache":true}"""));

        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        var error = JsonNode.Parse(refused.Body)!["error"]!;
        Assert.Equal("cache_control_not_allowed", (string?)error["code"]);
        Assert.Contains("'no-store'", (string?)error["message"]);
        Assert.Equal(HttpStatusCode.Forbidden, refusedHeader.Status);
        Assert.Contains("Cache-Control: no-store", refusedHeader.Body);
        Assert.Equal(HttpStatusCode.OK, allowed.Status);
        Assert.Equal(calls + 1, fixture.Upstream.RequestCount);
    }

    [Fact]
    public async Task NSampledChoicesAreNotCached()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync();
        var body = ChatBody(Gpt, Prompt(), extra: ""","n":2""").Replace("\"temperature\":0", "\"temperature\":0.7");

        await ChatAsync(fixture.Api, key, body);
        var second = await ChatAsync(fixture.Api, key, body);

        Assert.Equal("miss", second.Cache);
    }

    [Fact]
    public async Task AHitIsInTheLedgerAsACacheHitCostingNothingAndSavingTheOriginalCost()
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync();
        var body = ChatBody(Gpt, Prompt());
        var miss = await ChatAsync(fixture.Api, key, body);
        var hit = await ChatAsync(fixture.Api, key, body);
        Assert.Equal("hit", hit.Cache);

        await LocalProcess.WaitUntilAsync(async () =>
            await Spend.SpendTestData.ScalarAsync<long>(fixture.Database, "SELECT count(*) FROM spend_logs WHERE request_id = ANY(@ids)",
                ("ids", new[] { miss.RequestId!, hit.RequestId! })) == 2, TimeSpan.FromSeconds(30), "both ledger rows");

        Assert.True(await Spend.SpendTestData.ScalarAsync<bool>(fixture.Database, "SELECT cache_hit FROM spend_logs WHERE request_id = @id", ("id", hit.RequestId!)));
        Assert.Equal(0m, await Spend.SpendTestData.ScalarAsync<decimal>(fixture.Database, "SELECT spend FROM spend_logs WHERE request_id = @id", ("id", hit.RequestId!)));
        Assert.Equal(CacheFixture.CallCost, await Spend.SpendTestData.ScalarAsync<decimal>(fixture.Database, "SELECT saved_cost FROM spend_logs WHERE request_id = @id", ("id", hit.RequestId!)));
        Assert.False(await Spend.SpendTestData.ScalarAsync<bool>(fixture.Database, "SELECT cache_hit FROM spend_logs WHERE request_id = @id", ("id", miss.RequestId!)));
        Assert.Equal(CacheFixture.CallCost, await Spend.SpendTestData.ScalarAsync<decimal>(fixture.Database, "SELECT spend FROM teams WHERE team_id = @t", ("t", teamId)));
    }
}
