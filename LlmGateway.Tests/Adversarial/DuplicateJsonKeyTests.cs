using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Adversarial;

/// <summary>
/// Attack: a body that means one thing to the gateway and another to the upstream — <c>"stream": false … "stream": true</c>,
/// <c>"max_tokens": 1 … "max_tokens": 4000</c> was served and metered $0 — or that the gateway cannot decode (a lone
/// UTF-16 surrogate in an escape was a 500). Both are a 400 naming the key, with no upstream call and no charge.
/// </summary>
public sealed class DuplicateJsonKeyTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("""{"model":"gpt-test","stream":false,"max_tokens":1,"messages":[{"role":"user","content":"hi"}],"stream":true,"max_tokens":4000}""", "stream")]
    [InlineData("""{"model":"gpt-test","max_tokens":1,"messages":[{"role":"user","content":"hi"}],"\u006dax_tokens":4000}""", "max_tokens")]
    [InlineData("""{"model":"gpt-test","messages":[{"role":"user","content":"hi","content":"other"}]}""", "content")]
    [InlineData("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","type":"string"}}}]}""", "type")]
    public async Task ADuplicateKeyAnywhereIsA400NamingItWithNoUpstreamCallAndNoCharge(string body, string duplicated)
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"dup-{Guid.NewGuid():N}", max_budget = 10 });
        var marker = Guid.NewGuid().ToString("N");
        body = body.Replace("\"hi\"", $"\"{marker}\"");

        foreach (var host in new[] { fixture.Api, fixture.Replica })
        {
            var (status, error) = await PostAsync(host, "/v1/chat/completions", key, body);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
            Assert.Equal("duplicate_key", error.GetProperty("code").GetString());
            Assert.Contains($"'{duplicated}' more than once", error.GetProperty("message").GetString());
        }

        Assert.DoesNotContain(fixture.Upstream.Requests, r => r.Body.Contains(marker));
        Assert.Equal(0m, await TeamSpendAsync(teamId));
    }

    [Fact]
    public async Task ADuplicateKeyOnTheMessagesApiIsA400InAnthropicsEnvelope()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "dup-anthropic" });
        var (status, error) = await PostAsync(fixture.Api, "/v1/messages", key,
            """{"model":"gpt-test","max_tokens":10,"messages":[{"role":"user","content":"anthropic-dup"}],"max_tokens":64000}""", anthropic: true);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains("'max_tokens' more than once", error.GetProperty("message").GetString());
        Assert.DoesNotContain(fixture.Upstream.Requests, r => r.Body.Contains("anthropic-dup"));
    }

    [Fact]
    public async Task TheSameKeyInSiblingObjectsIsNotADuplicate()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "dup-siblings" });
        var (status, _) = await PostAsync(fixture.Api, "/v1/chat/completions", key,
            """{"model":"gpt-test","messages":[{"role":"system","content":"a"},{"role":"user","content":"b \ud83d\ude00"}]}""");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Theory]
    [InlineData("""{"model":"\ud800","messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"gpt-test","messages":[{"role":"user","content":"a \udc00 b"}]}""", "content")]
    [InlineData("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"stop":["\ud83d x"]}""", "stop")]
    [InlineData("""{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"metadata":{"\udfff":"x"}}""", "metadata")]
    public async Task ALoneSurrogateEscapeIsA400NamingTheFieldNotA500(string body, string field)
    {
        var (teamId, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = $"surrogate-{Guid.NewGuid():N}", max_budget = 10 });
        var marker = Guid.NewGuid().ToString("N");
        body = body.Replace("\"hi\"", $"\"{marker}\"");

        var (status, error) = await PostAsync(fixture.Replica, "/v1/chat/completions", key, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_escape", error.GetProperty("code").GetString());
        Assert.Equal(field, error.GetProperty("param").GetString());
        Assert.Contains($"'{field}'", error.GetProperty("message").GetString());
        Assert.DoesNotContain(fixture.Upstream.Requests, r => r.Body.Contains(marker));
        Assert.Equal(0m, await TeamSpendAsync(teamId));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Error)> PostAsync(GatewayApiHost host, string path, string key, string body, bool anthropic = false)
    {
        using var client = host.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (anthropic)
        {
            request.Headers.Add("x-api-key", key);
            request.Headers.Add("anthropic-version", "2023-06-01");
        }
        else
        {
            request.Headers.Authorization = new("Bearer", key);
        }

        using var response = await client.SendAsync(request, Ct);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        if (anthropic && response.StatusCode != HttpStatusCode.OK)
        {
            Assert.Equal("error", json.GetProperty("type").GetString());
        }

        return (response.StatusCode, response.StatusCode == HttpStatusCode.OK ? json : json.GetProperty("error"));
    }

    private async Task<decimal> TeamSpendAsync(string teamId)
    {
        using var admin = fixture.Api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var info = await admin.GetFromJsonAsync<JsonElement>($"/team/info?team_id={teamId}", Ct);
        return info.GetProperty("team_info").GetProperty("spend").GetDecimal();
    }
}
