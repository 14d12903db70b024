using System.Globalization;
using System.Net;
using LlmGateway.Tests.Limits;

namespace LlmGateway.Tests.Relay;

/// <summary>The <c>x-litellm-*</c> headers LiteLLM's clients read, next to the gateway's own.</summary>
public sealed class LitellmHeadersTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    [Fact]
    public async Task AnAnswerCarriesLiteLlmsCostModelCallAndOverheadHeaders()
    {
        var (_, key) = await fixture.CreateTeamAndKeyAsync(new { team_alias = "litellm-headers" }, new { max_budget = 5 });
        using var client = fixture.Api.CreateLoopbackClient();
        using var first = await client.SendAsync(GovernanceFixture.Chat(key), TestContext.Current.CancellationToken);
        using var second = await client.SendAsync(GovernanceFixture.Chat(key), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("0.01", Header(second, "x-litellm-response-cost"));
        Assert.Equal(Header(second, "x-gateway-cost-usd"), Header(second, "x-litellm-response-cost"));
        Assert.Equal(GovernanceFixture.Model, Header(second, "x-litellm-model-group"));
        Assert.Equal(Header(second, "x-gateway-deployment"), Header(second, "x-litellm-model-id"));
        Assert.Equal(Header(second, "x-request-id"), Header(second, "x-litellm-call-id"));
        Assert.Equal("0", Header(second, "x-litellm-attempted-fallbacks"));
        Assert.InRange(double.Parse(Header(second, "x-litellm-overhead-duration-ms"), CultureInfo.InvariantCulture), 0, 60_000);
        Assert.Equal("0", Header(first, "x-litellm-key-spend"));
        Assert.Equal("0.01", Header(second, "x-litellm-key-spend"));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : throw new Xunit.Sdk.XunitException($"no {name} header");
}
