using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Routing;

/// <summary>
/// LiteLLM's model access groups (<c>model_info.access_groups</c>: a key or team whose models name a group may use its
/// models) and wildcard deployments (<c>anthropic/*</c> routes any <c>anthropic/&lt;id&gt;</c>, priced from the built-in table).
/// </summary>
public sealed class ModelAccessTests(ModelAccessFixture fixture) : IClassFixture<ModelAccessFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AKeyGrantedAnAccessGroupUsesEveryModelInItAndIsRefusedTheOthers()
    {
        var key = await KeyAsync(new { team_alias = "beta-team" }, new { models = new[] { "beta-models" } });

        var statuses = await StatusesAsync(key, "beta-a", "beta-b", "internal-c", "anthropic/claude-sonnet-4-5");
        var listed = await ModelsAsync(key);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden], statuses);
        Assert.Equal(["beta-a", "beta-b"], listed);
    }

    [Fact]
    public async Task ATeamGrantedAnAccessGroupBoundsItsKeys()
    {
        var key = await KeyAsync(new { team_alias = "internal-team", models = new[] { "internal-models" } });

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Forbidden], await StatusesAsync(key, "internal-c", "beta-a"));
    }

    [Fact]
    public async Task ModelInfoAndModelGroupInfoShowTheAccessGroups()
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);

        var info = await admin.GetFromJsonAsync<JsonElement>("/model/info", Ct);
        var groups = await admin.GetFromJsonAsync<JsonElement>("/model_group/info?model_group=beta-b", Ct);

        var beta = info.GetProperty("data").EnumerateArray().Single(d => d.GetProperty("model_name").GetString() == "beta-b");
        Assert.Equal(["beta-models", "all-betas"], beta.GetProperty("model_info").GetProperty("access_groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(["beta-models", "all-betas"], groups.GetProperty("data")[0].GetProperty("access_groups").EnumerateArray().Select(g => g.GetString()));
    }

    [Fact]
    public async Task AWildcardRoutesAnyAnthropicModelWithItsIdUpstreamAndPricesItFromTheBuiltInTable()
    {
        var key = await KeyAsync(new { team_alias = "wildcard-team" }, new { models = new[] { "anthropic/*" } });
        using var client = fixture.Api.CreateLoopbackClient();

        using var response = await client.SendAsync(Chat(key, "anthropic/claude-sonnet-4-5"), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        var upstream = fixture.Upstream.Requests.Last();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("/v1/messages", "claude-sonnet-4-5"), (upstream.Path, upstream.Json!["model"]!.GetValue<string>()));
        // Built-in price of claude-sonnet-4-5: $3 / $15 per million tokens; 10 prompt and 100 completion tokens.
        Assert.Equal(0.00153m, decimal.Parse(response.Headers.GetValues("x-gateway-cost-usd").Single(), CultureInfo.InvariantCulture));
        Assert.Equal("anthropic/claude-sonnet-4-5", JsonDocument.Parse(body).RootElement.GetProperty("model").GetString());
        Assert.Equal([HttpStatusCode.Forbidden], await StatusesAsync(await KeyAsync(new { team_alias = "no-wildcard" }, new { models = new[] { "beta-a" } }),
            "anthropic/claude-sonnet-4-5"));
    }

    [Fact]
    public async Task AnExactGroupWinsOverTheWildcard()
    {
        var key = await KeyAsync(new { team_alias = "exact-team" });
        using var client = fixture.Api.CreateLoopbackClient();

        using var response = await client.SendAsync(Chat(key, "anthropic/claude-exact"), Ct);
        var upstream = fixture.Upstream.Requests.Last();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("/v1/chat/completions", "exact-upstream"), (upstream.Path, upstream.Json!["model"]!.GetValue<string>()));
    }

    [Fact]
    public async Task AnUnpricedWildcardModelIsRefusedUnderABudgetAndServedWithout()
    {
        var budgeted = await KeyAsync(new { team_alias = "unpriced-budget", max_budget = 10 });
        var unbudgeted = await KeyAsync(new { team_alias = "unpriced-free" });
        var before = fixture.Upstream.RequestCount;

        using var client = fixture.Api.CreateLoopbackClient();
        using var refused = await client.SendAsync(Chat(budgeted, "anthropic/claude-unreleased-9"), Ct);
        Assert.Equal(before, fixture.Upstream.RequestCount);
        using var served = await client.SendAsync(Chat(unbudgeted, "anthropic/claude-unreleased-9"), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("price_unknown", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("claude-unreleased-9", fixture.Upstream.Requests.Last().Json!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheWildcardPatternItselfIsNotAModel()
    {
        var key = await KeyAsync(new { team_alias = "star-team" });

        Assert.Equal([HttpStatusCode.NotFound], await StatusesAsync(key, "anthropic/*"));
    }

    private async Task<string> KeyAsync(object team, object? key = null)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        return (await ManagementCalls.CreateTeamAndKeyAsync(admin, team, key, Ct)).Key;
    }

    private async Task<List<HttpStatusCode>> StatusesAsync(string key, params string[] models)
    {
        using var client = fixture.Api.CreateLoopbackClient();
        var statuses = new List<HttpStatusCode>();
        foreach (var model in models)
        {
            using var response = await client.SendAsync(Chat(key, model), Ct);
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    private async Task<List<string?>> ModelsAsync(string key)
    {
        using var client = fixture.Api.CreateLoopbackClient(key);
        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models", Ct);
        return [.. models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString())];
    }

    private static HttpRequestMessage Chat(string key, string model) =>
        new(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = JsonContent.Create(new { model, max_tokens = 100, messages = new[] { new { role = "user", content = "hello" } } }),
        };
}
