using System.Net;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Proxy.ProxyFixture;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// Path variants (a trailing slash, another case) are the same route, with the same authentication, limits, content
/// logging and drain — the filters hang on the route, not on a path string; anything else is a 404.
/// </summary>
public sealed class PathVariantTests(TestServers servers, ProxyFixture fixture)
    : ProxyTestBase<ProxyFixture>(servers, fixture), IClassFixture<ProxyFixture>
{
    [Theory]
    [InlineData("/v1/chat/completions/")]
    [InlineData("/V1/Chat/Completions")]
    [InlineData("/chat/completions/")]
    public async Task AVariantOfTheChatPathIsTheSameRouteWithTheSameChecks(string path)
    {
        using var anonymous = CreateClient(null);
        using var refused = await PostAsync(path, Chat(OpenAiGroup), client: anonymous);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        AssertOpenAiError(await JsonAsync(refused), code: "invalid_api_key");

        using var served = await PostAsync(path, Chat(OpenAiGroup));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(OpenAiDeploymentId, served.Headers.GetValues("x-gateway-deployment").Single());
    }

    [Theory]
    [InlineData("/v1/chat/completions/extra")]
    [InlineData("/v1/chat//completions")]
    public async Task AnythingElseIsA404(string path)
    {
        using var response = await PostAsync(path, Chat(OpenAiGroup));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(0, Fake.RequestCount);
    }
}
