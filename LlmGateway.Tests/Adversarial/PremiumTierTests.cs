using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: ask for what the provider bills beyond the model's token prices — <c>service_tier: "priority"</c>, Anthropic's
/// 1M-context beta, hosted web search — which passed through unpriced. Each is now a 400 in the client's envelope naming
/// the field and <c>model_info.allowed_premium</c>, with no upstream call and no charge, unless the deployment allows it.
/// </summary>
public sealed class PremiumTierTests(PricingAttackFixture fixture) : IClassFixture<PricingAttackFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string> PremiumRequests => new()
    {
        { "/v1/chat/completions", """{"model":"priced","service_tier":"priority","messages":[{"role":"user","content":"MARK"}]}""", "service_tier" },
        { "/v1/chat/completions", """{"model":"priced","service_tier":"flex","messages":[{"role":"user","content":"MARK"}]}""", "service_tier" },
        { "/v1/chat/completions", """{"model":"priced","web_search_options":{},"messages":[{"role":"user","content":"MARK"}]}""", "web_search_options" },
        { "/v1/responses", """{"model":"priced","input":"MARK","tools":[{"type":"function","name":"f","parameters":{}},{"type":"web_search_preview"}]}""", "tools[1].type" },
        { "/v1/responses", """{"model":"priced","input":"MARK","service_tier":"scale"}""", "service_tier" },
    };

    [Theory]
    [MemberData(nameof(PremiumRequests))]
    public async Task APremiumFeatureOnADeploymentThatDoesNotAllowItIsA400WithNoUpstreamCallAndNoCharge(string path, string body, string param)
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"premium-{Guid.NewGuid():N}", max_budget = 5 });
        var marker = Guid.NewGuid().ToString("N");
        using var client = fixture.Api.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = new StringContent(body.Replace("MARK", marker), Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request, Ct);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(("invalid_request_error", param, "premium_feature_not_allowed"),
            (error.GetProperty("type").GetString(), error.GetProperty("param").GetString(), error.GetProperty("code").GetString()));
        Assert.Contains("model_info.allowed_premium", error.GetProperty("message").GetString());
        Assert.DoesNotContain(fixture.Upstream.Requests, r => r.Body.Contains(marker));
        Assert.Equal(0m, await fixture.TeamSpendAsync(teamId));
    }

    [Fact]
    public async Task TheOneMillionTokenContextBetaIsRefusedInAnthropicsEnvelope()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"premium-1m-{Guid.NewGuid():N}" });
        using var response = await MessagesAsync(key, "priced", "context-1m-2025-08-07");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("'anthropic-beta' asks for 'context-1m'", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task ADeploymentThatAllowsThemServesThemAndBillsTheUsage()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"premium-ok-{Guid.NewGuid():N}", max_budget = 5 });
        using var client = fixture.Api.CreateLoopbackClient();
        using var priority = await client.SendAsync(PricingAttackFixture.Chat(key, "premium-ok", new { service_tier = "priority" }), Ct);
        using var defaultTier = await client.SendAsync(PricingAttackFixture.Chat(key, "priced", new { service_tier = "auto" }), Ct);
        using var longContext = await MessagesAsync(key, "premium-ok", "context-1m-2025-08-07");

        Assert.Equal(HttpStatusCode.OK, priority.StatusCode);
        Assert.Equal(HttpStatusCode.OK, defaultTier.StatusCode); // "auto" and "default" are not premium
        Assert.Equal(HttpStatusCode.OK, longContext.StatusCode);
        Assert.Contains(fixture.Upstream.Requests, r => r.Json?["service_tier"]?.GetValue<string>() == "priority");
        var rows = await fixture.LedgerRowsAsync(key, 3);
        Assert.All(rows, r => Assert.True(r.GetProperty("spend").GetDecimal() > 0));
        // premium-ok has no priority rates: the priority request is billed at twice its token rates, the others at them.
        foreach (var row in rows)
        {
            var atTokenRates = row.GetProperty("prompt_tokens").GetInt32() * PricingAttackFixture.InputRate
                + row.GetProperty("completion_tokens").GetInt32() * PricingAttackFixture.OutputRate;
            var isPriority = row.GetProperty("request_id").GetString() == RequestId(priority);
            Assert.Equal(isPriority ? 2 * atTokenRates : atTokenRates, row.GetProperty("spend").GetDecimal());
        }
    }

    private static string? RequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-request-id", out var ids) ? ids.Single() : null;

    private async Task<HttpResponseMessage> MessagesAsync(string key, string model, string beta)
    {
        using var client = fixture.Api.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Headers = { { "x-api-key", key }, { "anthropic-version", "2023-06-01" }, { "anthropic-beta", beta } },
            Content = new StringContent($$"""{"model":"{{model}}","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        return await client.SendAsync(request, Ct);
    }
}
