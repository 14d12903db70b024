using System.Net;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// A provider refusing the gateway's own credentials (401/403): the client gets a 502 <c>upstream_auth_error</c>
/// without the provider's text; the operator sees the detail in <c>GET /health</c>.
/// </summary>
public sealed class UpstreamAuthErrorTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    private const string ProviderText = "Incorrect API key provided: sk-upstr*********-key. You can find your API key at https://example.test.";

    [Theory]
    [InlineData(401, OpenAiGroup)]
    [InlineData(403, OpenAiGroup)]
    [InlineData(401, AnthropicGroup)]
    public async Task AProviderRefusingTheGatewaysCredentialIsA502WithoutTheProvidersText(int status, string group)
    {
        Fake.Enqueue(FakeResponse.Error(status, ProviderText));

        using var response = await PostAsync("/v1/chat/completions", Chat(group));
        var body = await response.Content.ReadAsStringAsync(Timeout);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        AssertOpenAiError(System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject(), code: "upstream_auth_error");
        Assert.DoesNotContain("Incorrect API key", body);
        Assert.DoesNotContain("sk-upstr", body);
    }

    [Fact]
    public async Task AnAnthropicClientGetsThe502InItsOwnEnvelopeWithoutTheProvidersText()
    {
        Fake.Enqueue(FakeResponse.Error(401, ProviderText));

        using var response = await PostAsync("/v1/messages", Messages(AnthropicGroup));
        var body = await response.Content.ReadAsStringAsync(Timeout);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("\"type\":\"error\"", body);
        Assert.DoesNotContain("Incorrect API key", body);
    }

    [Fact]
    public async Task TheOperatorSeesTheRefusalInTheHealthReport()
    {
        Fake.Default = FakeResponse.Error(401, ProviderText);

        using var response = await Http.GetAsync("/health", Timeout);
        var body = await response.Content.ReadAsStringAsync(Timeout);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(OpenAiDeploymentId, body);
        Assert.Contains("401", body);
    }
}
