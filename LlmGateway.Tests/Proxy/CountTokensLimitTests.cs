using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmGateway.Api.Proxy;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using LlmGateway.Tests.Routing;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// An exact token count is a call on the provider's <c>count_tokens</c> limit, which every key of the organisation shares:
/// one key hammering <c>/v1/messages/count_tokens</c> used it up for everyone (no limit at all). Now a virtual key gets
/// <c>Gateway:ExactTokenCountsPerKeyPerMinute</c> exact counts a minute on a replica, then estimates — still a 200, never
/// a refusal; another key and the master key keep their exact counts.
/// </summary>
public sealed class CountTokensLimitTests(TestServers servers) : RoutingTestBase(servers)
{
    private const string Body = """{"model":"claude","messages":[{"role":"user","content":"count me"}]}""";

    [Fact]
    public async Task AKeyPastItsExactCountsAMinuteGetsEstimatesWithoutAnUpstreamCallAndOtherKeysKeepTheirs()
    {
        var host = await StartApiAsync($"""
            model_list:
              - model_name: "claude"
                litellm_params:
                  model: "anthropic/claude-test"
                  api_key: "sk-fake-provider-key"
                  api_base: "{Primary.AnthropicBase}"
            {Settings("")}
            """, ("Gateway:ExactTokenCountsPerKeyPerMinute", "2"));
        using var admin = Client(host);
        var (_, hammer) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "hammer" }, null, Timeout);
        var (_, other) = await ManagementCalls.CreateTeamAndKeyAsync(admin, new { team_alias = "other" }, null, Timeout);
        Primary.Default = FakeResponse.Ok with { PromptTokens = 777 };

        var hammered = new List<string?>();
        for (var i = 0; i < 5; i++)
        {
            hammered.Add(await CountAsync(host, hammer));
        }

        var upstreamAfterHammer = Primary.RequestCount;
        Assert.Equal(["exact", "exact", "estimated", "estimated", "estimated"], hammered);
        Assert.Equal(2, upstreamAfterHammer);
        Assert.Equal("exact", await CountAsync(host, other));
        Assert.Equal("exact", await CountAsync(host, GatewayApiHost.MasterKey));
        Assert.Equal(4, Primary.RequestCount);
    }

    /// <summary>The count's label (<c>x-gateway-token-count</c>), after asserting a 200.</summary>
    private async Task<string?> CountAsync(GatewayApiHost host, string key)
    {
        using var client = host.CreateLoopbackClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages/count_tokens")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key) },
            Content = new StringContent(Body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        using var response = await client.SendAsync(request, Timeout);
        var text = await response.Content.ReadAsStringAsync(Timeout);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        Assert.Contains("\"input_tokens\":", text);
        return Header(response, TokenCounter.Header);
    }
}
