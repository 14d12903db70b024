using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using StackExchange.Redis;
using static LlmGateway.Tests.Caching.CacheCalls;

namespace LlmGateway.Tests.Caching;

/// <summary>
/// The cache's limits against one team filling Redis or keeping entries forever: a client's ttl is capped at
/// <c>MaxTtl</c>, each team's entries live under its own hash tag and byte quota, and a team may opt out.
/// </summary>
public sealed class CacheLimitsTests(CacheLimitsFixture fixture) : IClassFixture<CacheLimitsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Prompt() => $"What is the answer {Guid.NewGuid():N}?";

    [Fact]
    public async Task AClientTtlAboveTheMaximumIsCappedAndTheEntryLivesUnderItsTeam()
    {
        var (team, key) = await CacheFixture.CreateTeamAndKeyAsync(fixture.Api);
        var ns = $"cap{Guid.NewGuid():N}";
        await ChatAsync(fixture.Api, key, ChatBody(CacheFixture.Gpt, Prompt(), extra: $$""","cache":{"ttl":86400,"namespace":"{{ns}}"}"""));

        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Redis);
        var stored = Assert.Single(redis.GetServers()[0].Keys(pattern: $"llmgateway:cache:*:{ns}:*"));
        Assert.Contains("{team:" + team + "}", stored.ToString());
        Assert.InRange((await redis.GetDatabase().KeyTimeToLiveAsync(stored))!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(CacheLimitsFixture.MaxTtl));
    }

    [Fact]
    public async Task ATeamPastItsByteQuotaStoresNoMoreWhileAnotherTeamStillDoes()
    {
        var (_, greedy) = await CacheFixture.CreateTeamAndKeyAsync(fixture.Api);
        var prompts = Enumerable.Range(0, 12).Select(_ => Prompt()).ToList();
        foreach (var prompt in prompts)
        {
            await ChatAsync(fixture.Api, greedy, ChatBody(CacheFixture.Gpt, prompt));
        }

        var hits = 0;
        foreach (var prompt in prompts)
        {
            hits += (await ChatAsync(fixture.Api, greedy, ChatBody(CacheFixture.Gpt, prompt))).Cache == "hit" ? 1 : 0;
        }

        Assert.InRange(hits, 1, prompts.Count - 1);
        var (_, other) = await CacheFixture.CreateTeamAndKeyAsync(fixture.Api);
        var body = ChatBody(CacheFixture.Gpt, Prompt());
        await ChatAsync(fixture.Api, other, body);
        Assert.Equal("hit", (await ChatAsync(fixture.Api, other, body)).Cache);
    }

    [Fact]
    public async Task ATeamWithCacheFalseIsNeverAnsweredFromTheCache()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = $"no-cache-{Guid.NewGuid():N}", metadata = new { cache = false } }, ct: Ct);
        var body = ChatBody(CacheFixture.Gpt, Prompt());
        await ChatAsync(fixture.Api, key, body);
        var calls = fixture.Upstream.RequestCount;

        var again = await ChatAsync(fixture.Api, key, body);

        Assert.NotEqual("hit", again.Cache);
        Assert.Equal(calls + 1, fixture.Upstream.RequestCount);
    }
}

/// <summary>The cache fixture's config with a 60 s maximum ttl and a 3 KB byte quota per team, on one Api.</summary>
public sealed class CacheLimitsFixture(TestServers servers) : IAsyncLifetime
{
    public const int MaxTtl = 60;

    private GatewayConfigFile config = null!;

    public FakeProviderServer Upstream { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;
    public string Redis { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Upstream = await FakeProviderServer.StartAsync();
        Upstream.Default = FakeResponse.Ok with { PromptTokens = 10, CompletionTokens = 20 };
        config = new GatewayConfigFile(CacheFixture.Yaml(Upstream));
        Redis = await servers.CreateRedisAsync();
        Api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), Redis, config.Settings(
            ("Gateway:Cache:MaxTtl", MaxTtl.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Gateway:Cache:MaxBytesPerTeam", "3000")));
    }

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        await Upstream.DisposeAsync();
        config.Dispose();
    }
}
