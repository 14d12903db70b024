using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Api.Tags;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace LlmGateway.Tests.Tags;

/// <summary>
/// LiteLLM's tags: the CRUD with its field names and shapes; a tag's budget held over every key, team and replica its
/// requests come through; a key's and team's tags forced on every request; a tag's model list; the per-request cap.
/// </summary>
public sealed class TagsApiTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NewInfoUpdateListAndDeleteSpeakLiteLlmsFieldsAndShapes()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var created = await ManagementCalls.PostOkAsync(admin, "/tag/new", new
        {
            name = "crud-tag", description = "search traffic", models = new[] { GovernanceFixture.Model },
            max_budget = 5, budget_duration = "30d", rpm_limit = 100, tpm_limit = 100_000,
        });
        var updated = await ManagementCalls.PostOkAsync(admin, "/tag/update", new { name = "crud-tag", max_budget = 7 });
        var info = await ManagementCalls.PostOkAsync(admin, "/tag/info", new { names = new[] { "crud-tag" } });
        var list = await admin.GetFromJsonAsync<JsonElement>("/tag/list", Ct);
        using var duplicate = await admin.PostAsJsonAsync("/tag/new", new { name = "crud-tag" }, Ct);
        var deleted = await ManagementCalls.PostOkAsync(admin, "/tag/delete", new { name = "crud-tag" });
        using var missing = await admin.PostAsJsonAsync("/tag/info", new { names = new[] { "crud-tag" } }, Ct);

        Assert.Equal("Tag crud-tag created successfully", created.GetProperty("message").GetString());
        var tag = created.GetProperty("tag");
        Assert.Equal(("crud-tag", "search traffic", 5m, "30d", 100L, 100_000L), (tag.GetProperty("name").GetString(), tag.GetProperty("description").GetString(),
            tag.GetProperty("max_budget").GetDecimal(), tag.GetProperty("budget_duration").GetString(), tag.GetProperty("rpm_limit").GetInt64(),
            tag.GetProperty("tpm_limit").GetInt64()));
        Assert.Equal([GovernanceFixture.Model], tag.GetProperty("models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(5m, tag.GetProperty("litellm_budget_table").GetProperty("max_budget").GetDecimal());
        Assert.Equal(7m, updated.GetProperty("tag").GetProperty("max_budget").GetDecimal());
        Assert.Equal(("search traffic", 0m), (info.GetProperty("crud-tag").GetProperty("description").GetString(), info.GetProperty("crud-tag").GetProperty("spend").GetDecimal()));
        Assert.Contains(list.EnumerateArray(), t => t.GetProperty("name").GetString() == "crud-tag");
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Equal("Tag crud-tag deleted successfully", deleted.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task TwoHundredConcurrentRequestsOverTwoTeamsAndTwoReplicasStopExactlyAtTheTagsBudget()
    {
        await CreateTagAsync(new { name = "budget-tag", max_budget = 0.5 });
        var (_, first) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "tag-team-1" });
        var (_, second) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "tag-team-2" });
        var before = fixture.Upstream.RequestCount;

        var results = await BudgetTests.SendConcurrentlyAsync(200, i => (i % 2 == 0 ? fixture.Api : fixture.Replica, i % 4 < 2 ? first : second),
            prepare: (i, request) => Tag(request, i % 3 == 0 ? "header" : "body", "budget-tag"));

        Assert.Equal(50, results.Count(r => r.Status == HttpStatusCode.OK));
        Assert.Equal(50, fixture.Upstream.RequestCount - before);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.Status);
            Assert.Equal("budget_exceeded", r.Type);
            Assert.Contains("tag 'budget-tag'", r.Message);
        });
        await LocalProcess.WaitUntilAsync(async () => await TagSpendAsync("budget-tag") == 0.5m, TimeSpan.FromSeconds(10), "the tag's spend");
        // Every request is in the ledger under the tag, the refused ones at $0.
        await LocalProcess.WaitUntilAsync(async () => await SpendTagsAsync("budget-tag") == (200, 0.5m), TimeSpan.FromSeconds(10), "/spend/tags");
    }

    [Fact]
    public async Task AKeysAndATeamsTagsAreForcedOnRequestsThatDoNotNameThem()
    {
        await CreateTagAsync(new { name = "forced-key-tag", max_budget = 0.02 });
        await CreateTagAsync(new { name = "forced-team-tag", max_budget = 0.03 });
        var (_, keyTagged) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "forced-1" }, new { tags = new[] { "forced-key-tag" } });
        var (_, teamTagged) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "forced-2", tags = new[] { "forced-team-tag" } });

        var byKey = await BudgetTests.SendOneByOneAsync(fixture.Api, keyTagged, 3);
        var byTeam = await BudgetTests.SendOneByOneAsync(fixture.Api, teamTagged, 4);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], byKey.Select(r => r.Status));
        Assert.Contains("tag 'forced-key-tag'", byKey[2].Message);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], byTeam.Select(r => r.Status));
        Assert.Contains("tag 'forced-team-tag'", byTeam[3].Message);
    }

    [Fact]
    public async Task ATagsModelsRestrictItsRequestsWith403()
    {
        await CreateTagAsync(new { name = "model-tag", models = new[] { GovernanceFixture.Model } });
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "model-tag-team" });
        using var client = fixture.Api.CreateLoopbackClient();

        using var allowed = await client.SendAsync(Tag(GovernanceFixture.Chat(key), "body", "model-tag"), Ct);
        using var refused = await client.SendAsync(Tag(Chat(key, "other-model"), "metadata", "model-tag"), Ct);
        using var untagged = await client.SendAsync(GovernanceFixture.Chat(key, "other-model"), Ct);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("tagged 'model-tag'", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, untagged.StatusCode);
    }

    [Fact]
    public async Task TooManyTagsOrTagsThatAreNotStringsAre400sNamingTagsWithNoUpstreamCall()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "cap-team" });
        using var client = fixture.Api.CreateLoopbackClient();
        var before = fixture.Upstream.RequestCount;

        using var tooMany = await client.SendAsync(Tag(GovernanceFixture.Chat(key), "body", [.. Enumerable.Range(0, 17).Select(i => $"t{i}")]), Ct);
        using var notStrings = await client.SendAsync(WithBody(key, new { model = GovernanceFixture.Model, tags = new[] { 1, 2 },
            messages = new[] { new { role = "user", content = "hi" } } }), Ct);
        using var tooLong = await client.SendAsync(Tag(GovernanceFixture.Chat(key), "header", new string('x', 65)), Ct);

        foreach (var (response, param) in new[] { (tooMany, "tags"), (notStrings, "tags"), (tooLong, "tags") })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(param, (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetProperty("param").GetString());
        }

        Assert.Equal(before, fixture.Upstream.RequestCount);
    }

    [Fact]
    public async Task TagsNotInTheTagTableAreRecordedButCreateNoCounters()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "unknown-tags-team" }, new { max_budget = 10 });
        var unknown = $"made-up-{Guid.NewGuid():N}";
        using var client = fixture.Api.CreateLoopbackClient();

        using var response = await client.SendAsync(Tag(GovernanceFixture.Chat(key), "body", unknown), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await LocalProcess.WaitUntilAsync(async () => await SpendTagsAsync(unknown) == (1, GovernanceFixture.CallCost), TimeSpan.FromSeconds(10), "/spend/tags");
        await using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.RedisConnection);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        Assert.Empty(server.Keys(pattern: $"*{unknown}*"));
    }

    /// <summary>Names the tags in the <c>x-litellm-tags</c> header, the body's <c>tags</c> or its <c>metadata.tags</c>.</summary>
    private static HttpRequestMessage Tag(HttpRequestMessage request, string where, params string[] tags)
    {
        if (where == "header")
        {
            request.Headers.Add("x-litellm-tags", string.Join(",", tags));
            return request;
        }

        var model = request.Options.TryGetValue(ModelOption, out var m) ? m : GovernanceFixture.Model;
        var body = new Dictionary<string, object>
        {
            ["model"] = model,
            ["max_tokens"] = 100,
            ["messages"] = new[] { new { role = "user", content = "hello" } },
            [where == "metadata" ? "metadata" : "tags"] = where == "metadata" ? new { tags } : tags,
        };
        request.Content = JsonContent.Create(body);
        return request;
    }

    private static readonly HttpRequestOptionsKey<string> ModelOption = new("model");

    private static HttpRequestMessage Chat(string key, string model)
    {
        var request = GovernanceFixture.Chat(key, model);
        request.Options.Set(ModelOption, model);
        return request;
    }

    private static HttpRequestMessage WithBody(string key, object body) =>
        new(HttpMethod.Post, "/v1/chat/completions") { Headers = { Authorization = new("Bearer", key) }, Content = JsonContent.Create(body) };

    /// <summary>Creates a tag and waits until both replicas hold it (the change message reaches the other one at once).</summary>
    private async Task CreateTagAsync(object tag)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var name = (await ManagementCalls.PostOkAsync(admin, "/tag/new", tag)).GetProperty("tag").GetProperty("name").GetString()!;
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(fixture.Replica.Services.GetRequiredService<TagDirectory>().TryGet(name, out _)),
            TimeSpan.FromSeconds(10), "the replica's tag table");
    }

    private async Task<decimal> TagSpendAsync(string name)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return (await ManagementCalls.PostOkAsync(admin, "/tag/info", new { names = new[] { name } })).GetProperty(name).GetProperty("spend").GetDecimal();
    }

    private async Task<(long, decimal)> SpendTagsAsync(string name)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var rows = await admin.GetFromJsonAsync<JsonElement>($"/spend/tags?start_date={today}&end_date={tomorrow}", Ct);
        return rows.EnumerateArray().Where(r => r.GetProperty("individual_request_tag").GetString() == name)
            .Select(r => (r.GetProperty("log_count").GetInt64(), r.GetProperty("total_spend").GetDecimal())).FirstOrDefault();
    }
}
